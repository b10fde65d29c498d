// Per-request outcomes kept as compact, growable typed arrays (about 30 bytes a request).

export const KINDS = ["write", "read_id", "read_list", "stats"] as const;
export type Kind = (typeof KINDS)[number];

/** One request's outcome. Times are milliseconds since the start of the run. */
export interface RequestRecord {
  kind: Kind;
  /** HTTP status, or 0 when the request failed without a response (see error). */
  status: number;
  /** Error code (ECONNREFUSED, ETIMEDOUT, ...) when there was no response. */
  error: string | null;
  scheduledMs: number;
  /** When the request got a socket and was sent; NaN if it never was (e.g. timed out queued). */
  sentMs: number;
  /** From sent (or, if never sent, from scheduled) to the end of the response or the error. */
  latencyMs: number;
}

export class LoadRecords {
  private n = 0;
  private kind = new Uint8Array(0);
  private status = new Uint16Array(0);
  private err = new Uint8Array(0); // 0 = none, else index+1 in errorNames
  private sched = new Float64Array(0);
  private sent = new Float64Array(0);
  private lat = new Float32Array(0);
  private readonly errorNames: string[] = [];

  constructor(capacity = 1024) {
    this.grow(Math.max(16, capacity));
  }

  get length(): number {
    return this.n;
  }

  private grow(cap: number): void {
    const g = <T extends Uint8Array | Uint16Array | Float64Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.kind = g(this.kind, (c) => new Uint8Array(c));
    this.status = g(this.status, (c) => new Uint16Array(c));
    this.err = g(this.err, (c) => new Uint8Array(c));
    this.sched = g(this.sched, (c) => new Float64Array(c));
    this.sent = g(this.sent, (c) => new Float64Array(c).fill(NaN));
    this.lat = g(this.lat, (c) => new Float32Array(c).fill(NaN));
  }

  /** Reserves a slot for a request about to be issued; complete() fills in the outcome. */
  add(kind: Kind, scheduledMs: number): number {
    if (this.n === this.kind.length) this.grow(this.kind.length * 2);
    const i = this.n++;
    this.kind[i] = KINDS.indexOf(kind);
    this.sched[i] = scheduledMs;
    return i;
  }

  markSent(i: number, sentMs: number): void {
    this.sent[i] = sentMs;
  }

  complete(i: number, status: number, error: string | null, latencyMs: number): void {
    this.status[i] = status;
    if (error !== null) {
      // Error names are few (ECONNREFUSED, ETIMEDOUT, ...); past 254 distinct ones they are lumped as OTHER.
      const name = this.errorNames.includes(error) || this.errorNames.length < 254 ? error : "OTHER";
      let e = this.errorNames.indexOf(name);
      if (e < 0) e = this.errorNames.push(name) - 1;
      this.err[i] = e + 1;
    }
    this.lat[i] = latencyMs;
  }

  push(r: RequestRecord): void {
    const i = this.add(r.kind, r.scheduledMs);
    this.markSent(i, r.sentMs);
    this.complete(i, r.status, r.error, r.latencyMs);
  }

  kindAt(i: number): Kind {
    return KINDS[this.kind[i]];
  }
  statusAt(i: number): number {
    return this.status[i];
  }
  errorAt(i: number): string | null {
    return this.err[i] === 0 ? null : this.errorNames[this.err[i] - 1];
  }
  scheduledAt(i: number): number {
    return this.sched[i];
  }
  sentAt(i: number): number {
    return this.sent[i];
  }
  latencyAt(i: number): number {
    return this.lat[i];
  }
  /** Completed: has a status or an error. */
  doneAt(i: number): boolean {
    return !Number.isNaN(this.lat[i]);
  }
  okAt(i: number): boolean {
    return this.status[i] >= 200 && this.status[i] < 300;
  }

  get(i: number): RequestRecord {
    return {
      kind: this.kindAt(i),
      status: this.statusAt(i),
      error: this.errorAt(i),
      scheduledMs: this.sched[i],
      sentMs: this.sent[i],
      latencyMs: this.lat[i],
    };
  }

  toArray(): RequestRecord[] {
    const out: RequestRecord[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.get(i));
    return out;
  }

  static from(records: Iterable<RequestRecord>): LoadRecords {
    const r = new LoadRecords();
    for (const x of records) r.push(x);
    return r;
  }
}
