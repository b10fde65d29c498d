// The stream driver's apply plan, pure: a batch of decoded changes (in commit order) becomes as few
// SQL statements as keep the batch's meaning. Consecutive upserts of one table with the same columns
// become one INSERT … SELECT FROM json_populate_recordset … ON CONFLICT, consecutive deletes one
// DELETE … USING. One statement per change was the stream driver's bottleneck: at 1,000 writes/s each
// shadow's consumer needed a round trip per row and fell seconds behind.
import { qualified, quoteIdent } from "../../components/postgres/sql";
import { Change, Row } from "./pgoutput";

export interface Statement {
  sql: string;
  params: string[];
}

/** Splices a value (a JSON document of rows) into a statement: as a `$n` parameter, or as a literal. */
type Bind = (value: string) => string;
/** A planned statement, its SQL built once its value's form is known. */
type Planned = (bind: Bind) => string;

type Run = { kind: "upsert" | "delete"; table: string; keys: string[]; columns: string; rows: Row[] };

const keyMatch = (t: string, keys: string[], alias: string): string => keys.map((k) => `${t}.${quoteIdent(k)} = ${alias}.${quoteIdent(k)}`).join(" AND ");

/** Columns present in a row (a TOASTed value that did not change is absent), as the run's signature. */
const signature = (row: Row): string => Object.keys(row).sort().join("\u0000");

function deleteStatement(table: string, keys: string[], rows: Row[]): Planned {
  const t = qualified(table);
  return (bind) => `DELETE FROM ${t} USING json_populate_recordset(null::${t}, ${bind(JSON.stringify(rows))}::json) AS k WHERE ${keyMatch(t, keys, "k")}`;
}

/**
 * One upsert for many rows. ON CONFLICT may not touch a row twice in one statement, so a key that
 * appears again keeps only its last row: every row of a run carries the same columns, so the last
 * upsert alone leaves the row as applying them one by one would.
 */
function upsertStatement(table: string, keys: string[], rows: Row[]): Planned {
  const t = qualified(table);
  const last = new Map<string, Row>();
  for (const row of rows) {
    const key = JSON.stringify(keys.map((k) => row[k]));
    last.delete(key); // re-insert so the map keeps the order of last occurrence
    last.set(key, row);
  }
  const set = Object.keys(rows[0]).map((col) => `${quoteIdent(col)} = EXCLUDED.${quoteIdent(col)}`);
  const value = JSON.stringify([...last.values()]);
  return (bind) =>
    `INSERT INTO ${t} SELECT * FROM json_populate_recordset(null::${t}, ${bind(value)}::json)
         ON CONFLICT (${keys.map(quoteIdent).join(", ")}) DO ${set.length > 0 ? `UPDATE SET ${set.join(", ")}` : "NOTHING"}`;
}

function runStatement(r: Run): Planned {
  return r.kind === "delete" ? deleteStatement(r.table, r.keys, r.rows) : upsertStatement(r.table, r.keys, r.rows);
}

function plan(changes: Change[]): Planned[] {
  const out: Planned[] = [];
  let run: Run | undefined;
  const flush = (): void => {
    if (run) out.push(runStatement(run));
    run = undefined;
  };
  for (const ch of changes) {
    if (ch.op === "truncate") {
      flush();
      const t = qualified(ch.table);
      out.push(() => `TRUNCATE ${t}`);
      continue;
    }
    if (ch.old) {
      // A key change: the old key goes first, then the row under its new key.
      flush();
      out.push(deleteStatement(ch.table, ch.keys, [ch.old]));
    }
    const kind = ch.op === "delete" ? "delete" : "upsert";
    const columns = kind === "delete" ? "" : signature(ch.row);
    const keys = ch.keys.join("\u0000");
    if (!run || run.kind !== kind || run.table !== ch.table || run.keys.join("\u0000") !== keys || run.columns !== columns) {
      flush();
      run = { kind, table: ch.table, keys: ch.keys, columns, rows: [] };
    }
    run.rows.push(ch.row);
  }
  flush();
  return out;
}

/** Statements that apply `changes` in order; idempotent as each single change is (upserts by key). */
export function applyPlan(changes: Change[]): Statement[] {
  return plan(changes).map((p) => {
    const params: string[] = [];
    const sql = p((v) => {
      params.push(v);
      return `$${params.length}`;
    });
    return { sql, params };
  });
}

/**
 * The same statements as one script, values as literals (`literal` quotes them, e.g. the client's
 * escapeLiteral): a batch then costs one round trip to the store instead of one per statement.
 */
export function applyScript(changes: Change[], literal: (value: string) => string): string {
  return plan(changes)
    .map((p) => `${p(literal)};\n`)
    .join("");
}
