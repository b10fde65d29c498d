// The primary's publication: the tables whose changes flow to every shadow's store.
import { qualified, quoteIdent, tablesWithoutIdentity, withClient } from "../../../postgres/sql";

export interface PublicationInputs {
  /** Secret: the primary's connection URL. */
  url: string;
  publication: string;
  tables: string[];
}

async function apply(i: PublicationInputs): Promise<void> {
  await withClient(i.url, async (c) => {
    const bad = await tablesWithoutIdentity(c, i.tables);
    if (bad.length > 0) throw new Error(`cannot publish table ${bad.join(", ")}: no primary key (or replica identity)`);
    const list = i.tables.map(qualified).join(", ");
    const exists = await c.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [i.publication]);
    if ((exists.rowCount ?? 0) > 0) await c.query(`ALTER PUBLICATION ${quoteIdent(i.publication)} SET TABLE ${list}`);
    else await c.query(`CREATE PUBLICATION ${quoteIdent(i.publication)} FOR TABLE ${list}`);
  });
}

export async function create(i: PublicationInputs): Promise<{ id: string; outs: PublicationInputs }> {
  await apply(i);
  return { id: i.publication, outs: i };
}

export async function update(_id: string, _olds: PublicationInputs, news: PublicationInputs): Promise<{ outs: PublicationInputs }> {
  await apply(news);
  return { outs: news };
}

export async function remove(_id: string, props: PublicationInputs): Promise<void> {
  // A primary that is gone (fenced and stopped, or dead) takes its publication with it.
  await withClient(props.url, (c) => c.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(props.publication)}`), { timeoutMs: 2000 }).catch(() => undefined);
}
