// synchronous_standby_names on the primary: in sync mode each commit waits until at least one
// shadow's subscription has applied and flushed it (ANY 1 of them). Set only once every
// subscription streams, so that creating the stack never blocks the primary's writes.
import { standbyNames, withClient } from "../../../postgres/sql";

export interface SyncStandbysInputs {
  /** Secret: the primary's connection URL. */
  url: string;
  mode: "sync" | "async";
  subscriptions: string[];
}

export interface SyncStandbysOutputs extends SyncStandbysInputs {
  setting: string;
}

async function apply(i: SyncStandbysInputs): Promise<SyncStandbysOutputs> {
  const setting = standbyNames(i.mode, i.subscriptions);
  await withClient(i.url, async (c) => {
    // ALTER SYSTEM persists across restarts: a primary restarted by its supervisor keeps waiting.
    await c.query(`ALTER SYSTEM SET synchronous_standby_names = '${setting.replace(/'/g, "''")}'`);
    await c.query("SELECT pg_reload_conf()");
  });
  return { ...i, setting };
}

export async function create(i: SyncStandbysInputs): Promise<{ id: string; outs: SyncStandbysOutputs }> {
  return { id: "synchronous_standby_names", outs: await apply(i) };
}

export async function update(_id: string, _olds: SyncStandbysOutputs, news: SyncStandbysInputs): Promise<{ outs: SyncStandbysOutputs }> {
  return { outs: await apply(news) };
}

export async function remove(_id: string, props: SyncStandbysOutputs): Promise<void> {
  // Writes must not wait for subscriptions about to be dropped; a primary that is gone needs nothing.
  await withClient(
    props.url,
    async (c) => {
      await c.query("ALTER SYSTEM RESET synchronous_standby_names");
      await c.query("SELECT pg_reload_conf()");
    },
    { timeoutMs: 2000 },
  ).catch(() => undefined);
}
