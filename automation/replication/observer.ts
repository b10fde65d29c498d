// What both replication drivers read from the primary the same way: its WAL position and whether it
// is fenced (read-only), beside whatever else the driver needs on the same connection. A primary that
// cannot be reached is an observation too (the promotion plan treats it as dead), never an exception.
import { Client } from "pg";
import { lsnToBigInt, withClient } from "../../components/postgres/sql";
import { PrimaryObservation, ReplicationTopology } from "./driver";

/** Connection settings of every observing query: short, and named in pg_stat_activity. */
export const OBSERVER = { timeoutMs: 1500, applicationName: "understudy-observer" };

export async function observePrimary<X>(t: ReplicationTopology, more: (c: Client) => Promise<X>): Promise<{ obs: PrimaryObservation; more?: X }> {
  try {
    return await withClient(
      t.primary.url,
      async (c) => {
        const s = await c.query<{ lsn: string; ro: string }>("SELECT pg_current_wal_lsn()::text AS lsn, current_setting('default_transaction_read_only') AS ro");
        return { obs: { host: t.primary.host, reachable: true, currentLsn: lsnToBigInt(s.rows[0].lsn), readOnly: s.rows[0].ro === "on" }, more: await more(c) };
      },
      OBSERVER,
    );
  } catch (e) {
    return { obs: { host: t.primary.host, reachable: false, error: (e as Error).message } };
  }
}
