// Decoding of PostgreSQL's logical replication stream (pgoutput, protocol version 1) into whole
// transactions, pure: the change stream's publisher feeds it the XLogData payloads in order.
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

export interface Column {
  name: string;
  key: boolean;
}

export interface Relation {
  schema: string;
  name: string;
  columns: Column[];
}

export type Row = Record<string, string | null>;

export interface Change {
  op: "insert" | "update" | "delete" | "truncate";
  /** schema.name */
  table: string;
  /** Replica-identity columns (the primary key). */
  keys: string[];
  /** insert/update: the new row (columns whose TOASTed value did not change are absent); delete: the key. */
  row: Row;
  /** update of a key: the old key. */
  old?: Row;
}

/** One unit published to the stream: a committed transaction, a fence marker, or a heartbeat. */
export interface StreamEntry {
  /** Commit end LSN (transaction), or the position the entry stands for, as a decimal byte offset. */
  lsn: string;
  /** Commit time (transaction) or the time the entry was made, ISO 8601. */
  time: string;
  changes?: Change[];
  marker?: string;
}

/**
 * Consecutive transactions as one stream entry: their changes in commit order, the last one's LSN
 * and commit time. Applied and positioned as one unit, it means what applying them one by one does.
 */
export function mergeTransactions(txns: StreamEntry[]): StreamEntry {
  const last = txns[txns.length - 1];
  if (txns.length === 1) return last;
  return { lsn: last.lsn, time: last.time, changes: txns.flatMap((t) => t.changes ?? []) };
}

class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  byte(): number {
    return this.b.readUInt8(this.at++);
  }
  int16(): number {
    const v = this.b.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  int64(): bigint {
    const v = this.b.readBigUInt64BE(this.at);
    this.at += 8;
    return v;
  }
  cstring(): string {
    const end = this.b.indexOf(0, this.at);
    const s = this.b.toString("utf8", this.at, end);
    this.at = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

export function pgTime(micros: bigint): string {
  return new Date(PG_EPOCH_MS + Number(micros / 1000n)).toISOString();
}

function tuple(r: Reader, rel: Relation): Row {
  const n = r.int16();
  const row: Row = {};
  for (let i = 0; i < n; i++) {
    const kind = String.fromCharCode(r.byte());
    const col = rel.columns[i]?.name ?? `col${i}`;
    if (kind === "n") row[col] = null;
    else if (kind === "t") row[col] = r.bytes(r.int32()).toString("utf8");
    else if (kind !== "u") throw new Error(`pgoutput: unexpected tuple kind '${kind}'`);
  }
  return row;
}

/**
 * Feed pgoutput messages in order; complete transactions (and markers) come out of `push`.
 * Relations are remembered across transactions, as the protocol requires.
 */
export class PgOutputDecoder {
  private readonly relations = new Map<number, Relation>();
  private txn: { time: string; changes: Change[] } | undefined;

  push(data: Buffer): StreamEntry | undefined {
    const r = new Reader(data);
    const tag = String.fromCharCode(r.byte());
    switch (tag) {
      case "B": {
        r.int64();
        this.txn = { time: pgTime(r.int64()), changes: [] };
        return undefined;
      }
      case "C": {
        r.byte();
        r.int64();
        const end = r.int64();
        const time = pgTime(r.int64());
        const changes = this.txn?.changes ?? [];
        this.txn = undefined;
        return { lsn: end.toString(), time, changes };
      }
      case "R": {
        const id = r.int32();
        const schema = r.cstring();
        const name = r.cstring();
        r.byte();
        const n = r.int16();
        const columns: Column[] = [];
        for (let i = 0; i < n; i++) {
          const flags = r.byte();
          const col = r.cstring();
          r.int32();
          r.int32();
          columns.push({ name: col, key: (flags & 1) === 1 });
        }
        this.relations.set(id, { schema, name, columns });
        return undefined;
      }
      case "I":
      case "U":
      case "D": {
        const rel = this.relation(r.int32());
        const table = `${rel.schema}.${rel.name}`;
        const keys = rel.columns.filter((c) => c.key).map((c) => c.name);
        let kind = String.fromCharCode(r.byte());
        let old: Row | undefined;
        if (tag !== "I" && (kind === "K" || kind === "O")) {
          old = tuple(r, rel);
          if (tag === "D") {
            this.txn?.changes.push({ op: "delete", table, keys, row: old });
            return undefined;
          }
          kind = String.fromCharCode(r.byte());
        }
        if (kind !== "N") throw new Error(`pgoutput: unexpected '${kind}' in ${tag}`);
        this.txn?.changes.push({ op: tag === "I" ? "insert" : "update", table, keys, row: tuple(r, rel), ...(old ? { old } : {}) });
        return undefined;
      }
      case "T": {
        const n = r.int32();
        r.byte();
        for (let i = 0; i < n; i++) {
          const rel = this.relation(r.int32());
          this.txn?.changes.push({ op: "truncate", table: `${rel.schema}.${rel.name}`, keys: [], row: {} });
        }
        return undefined;
      }
      case "M": {
        const transactional = r.byte() & 1;
        const lsn = r.int64();
        const prefix = r.cstring();
        const content = r.bytes(r.int32()).toString("utf8");
        if (transactional || prefix !== "understudy-fence") return undefined;
        return { lsn: lsn.toString(), time: new Date().toISOString(), marker: content };
      }
      default:
        // Origin, Type: nothing to carry.
        return undefined;
    }
  }

  private relation(id: number): Relation {
    const rel = this.relations.get(id);
    if (!rel) throw new Error(`pgoutput: change for unknown relation ${id}`);
    return rel;
  }
}
