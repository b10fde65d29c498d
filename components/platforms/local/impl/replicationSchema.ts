// The tables a replicated store needs, created by the stack on the primary and on every replica
// before replication starts (logical replication copies rows, not DDL).
import { tablesWithoutIdentity, withClient } from "../../../postgres/sql";

export interface SchemaInputs {
  /** Secret: the store's connection URL. */
  url: string;
  sql: string;
  tables: string[];
}

async function apply(i: SchemaInputs): Promise<void> {
  await withClient(i.url, async (c) => {
    // One transaction: a failing statement leaves the store as it was.
    await c.query("BEGIN");
    try {
      await c.query(i.sql);
      const bad = await tablesWithoutIdentity(c, i.tables);
      if (bad.length > 0) {
        throw new Error(`table ${bad.join(", ")} has no primary key (or replica identity): logical replication cannot carry its updates and deletes`);
      }
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  });
}

export async function create(i: SchemaInputs): Promise<{ id: string; outs: SchemaInputs }> {
  await apply(i);
  return { id: i.tables.join(","), outs: i };
}

/** The DDL is idempotent (IF NOT EXISTS): a changed schema is applied in place. */
export async function update(_id: string, _olds: SchemaInputs, news: SchemaInputs): Promise<{ outs: SchemaInputs }> {
  await apply(news);
  return { outs: news };
}

/** The tables go with their cluster's data directory. */
export async function remove(): Promise<void> {}
