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

type Run = { kind: "upsert" | "delete"; table: string; keys: string[]; columns: string; rows: Row[] };

const keyMatch = (t: string, keys: string[], alias: string): string => keys.map((k) => `${t}.${quoteIdent(k)} = ${alias}.${quoteIdent(k)}`).join(" AND ");

/** Columns present in a row (a TOASTed value that did not change is absent), as the run's signature. */
const signature = (row: Row): string => Object.keys(row).sort().join("\u0000");

function deleteStatement(table: string, keys: string[], rows: Row[]): Statement {
  const t = qualified(table);
  return { sql: `DELETE FROM ${t} USING json_populate_recordset(null::${t}, $1::json) AS k WHERE ${keyMatch(t, keys, "k")}`, params: [JSON.stringify(rows)] };
}

/**
 * One upsert for many rows. ON CONFLICT may not touch a row twice in one statement, so a key that
 * appears again keeps only its last row: every row of a run carries the same columns, so the last
 * upsert alone leaves the row as applying them one by one would.
 */
function upsertStatement(table: string, keys: string[], rows: Row[]): Statement {
  const t = qualified(table);
  const last = new Map<string, Row>();
  for (const row of rows) {
    const key = JSON.stringify(keys.map((k) => row[k]));
    last.delete(key); // re-insert so the map keeps the order of last occurrence
    last.set(key, row);
  }
  const set = Object.keys(rows[0]).map((col) => `${quoteIdent(col)} = EXCLUDED.${quoteIdent(col)}`);
  return {
    sql: `INSERT INTO ${t} SELECT * FROM json_populate_recordset(null::${t}, $1::json)
         ON CONFLICT (${keys.map(quoteIdent).join(", ")}) DO ${set.length > 0 ? `UPDATE SET ${set.join(", ")}` : "NOTHING"}`,
    params: [JSON.stringify([...last.values()])],
  };
}

function runStatement(r: Run): Statement {
  return r.kind === "delete" ? deleteStatement(r.table, r.keys, r.rows) : upsertStatement(r.table, r.keys, r.rows);
}

/** Statements that apply `changes` in order; idempotent as each single change is (upserts by key). */
export function applyPlan(changes: Change[]): Statement[] {
  const out: Statement[] = [];
  let run: Run | undefined;
  const flush = (): void => {
    if (run) out.push(runStatement(run));
    run = undefined;
  };
  for (const ch of changes) {
    if (ch.op === "truncate") {
      flush();
      out.push({ sql: `TRUNCATE ${qualified(ch.table)}`, params: [] });
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
