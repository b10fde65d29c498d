// One shadow's subscription to the primary's publication: an initial copy of every table, then
// streaming. Created only from empty tables, so a replica that followed another primary before
// starts over from a full copy instead of merging two histories.
import { sleep } from "./exec";
import { conninfo, describeUrl, dropSubscription, hasRows, qualified, quoteIdent, quoteLiteral, withClient } from "../../../postgres/sql";

export interface SubscriptionInputs {
  /** Secret: the replica's connection URL. */
  url: string;
  /** Secret: the primary's connection URL (the subscription connects with it). */
  publisherUrl: string;
  subscription: string;
  publication: string;
  tables: string[];
  mode: "sync" | "async";
  /** Where the replica's server log is, for error messages. */
  logFile: string;
}

const COPY_TIMEOUT_MS = 120_000;

// In sync mode the primary's commits wait for this replica's flush: commit locally at once rather
// than every wal_writer_delay, or each write would pay up to 200 ms.
const localCommit = (mode: "sync" | "async"): string => (mode === "sync" ? "on" : "off");

async function waitStreaming(i: SubscriptionInputs): Promise<void> {
  const deadline = Date.now() + COPY_TIMEOUT_MS;
  for (;;) {
    const state = await withClient(i.url, async (c) => {
      const rel = await c.query<{ pending: string }>(
        `SELECT count(*) AS pending FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
          WHERE s.subname = $1 AND r.srsubstate <> 'r'`,
        [i.subscription],
      );
      const st = await c.query<{ pid: number | null; apply_error_count: string; sync_error_count: string }>(
        `SELECT w.pid, st.apply_error_count, st.sync_error_count
           FROM pg_stat_subscription_stats st LEFT JOIN pg_stat_subscription w ON w.subid = st.subid AND w.relid IS NULL
          WHERE st.subname = $1`,
        [i.subscription],
      );
      return { pending: Number(rel.rows[0].pending), pid: st.rows[0]?.pid ?? null, applyErrors: Number(st.rows[0]?.apply_error_count ?? 0), syncErrors: Number(st.rows[0]?.sync_error_count ?? 0) };
    });
    if (state.pending === 0 && state.pid !== null) return;
    if (Date.now() > deadline) {
      throw new Error(
        `subscription ${i.subscription} is not streaming after ${COPY_TIMEOUT_MS / 1000} s (${state.pending} tables still copying, ` +
          `${state.syncErrors} copy errors, ${state.applyErrors} apply errors); see ${i.logFile}`,
      );
    }
    await sleep(200);
  }
}

export async function create(i: SubscriptionInputs): Promise<{ id: string; outs: SubscriptionInputs }> {
  // Credentials first, before anything changes on the replica: the server's reason, never the URL.
  await withClient(i.publisherUrl, async () => undefined);
  await withClient(i.url, async (c) => {
    const leftover = await c.query("SELECT 1 FROM pg_subscription WHERE subname = $1", [i.subscription]);
    if ((leftover.rowCount ?? 0) > 0) await dropSubscription(i.url, i.subscription, i.publisherUrl);
    if (await hasRows(c, i.tables)) await c.query(`TRUNCATE ${i.tables.map(qualified).join(", ")}`);
    try {
      await c.query(
        `CREATE SUBSCRIPTION ${quoteIdent(i.subscription)} CONNECTION ${quoteLiteral(conninfo(i.publisherUrl))}
           PUBLICATION ${quoteIdent(i.publication)} WITH (copy_data = true, synchronous_commit = '${localCommit(i.mode)}')`,
      );
    } catch (e) {
      // The server's words (e.g. password authentication failed), never the connection string.
      throw new Error(`cannot subscribe ${describeUrl(i.url)} to ${i.publication} on ${describeUrl(i.publisherUrl)}: ${(e as Error).message}`);
    }
  });
  await waitStreaming(i);
  return { id: i.subscription, outs: i };
}

const REPLACE_KEYS: (keyof SubscriptionInputs)[] = ["url", "publisherUrl", "subscription", "publication", "tables"];

export async function diff(_id: string, olds: SubscriptionInputs, news: SubscriptionInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  const replaces = REPLACE_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).map(String);
  const changes = replaces.length > 0 || olds.mode !== news.mode || olds.logFile !== news.logFile;
  // The new subscription has the same name: drop the old one first.
  return { changes, replaces, deleteBeforeReplace: true };
}

/** Only the mode changed: the replica's local commit setting follows it. */
export async function update(_id: string, _olds: SubscriptionInputs, news: SubscriptionInputs): Promise<{ outs: SubscriptionInputs }> {
  await withClient(news.url, (c) => c.query(`ALTER SUBSCRIPTION ${quoteIdent(news.subscription)} SET (synchronous_commit = '${localCommit(news.mode)}')`));
  return { outs: news };
}

export async function remove(_id: string, props: SubscriptionInputs): Promise<void> {
  // A replica whose cluster is already gone has nothing to drop.
  await dropSubscription(props.url, props.subscription, props.publisherUrl).catch((e: Error) => {
    if (!/cannot connect/.test(e.message)) throw e;
  });
}
