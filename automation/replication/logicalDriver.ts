// The logical driver: a PostgreSQL publication on the primary, a subscription per replica.
import { Client } from "pg";
import { dropSubscription, lsnToBigInt, withClient } from "../../components/postgres/sql";
import { observePrimary, OBSERVER } from "./observer";
import { FenceMarker, Observation, PrimaryObservation, ReplicaObservation, ReplicationDriver, ReplicationTopology } from "./driver";

interface SenderRow {
  application_name: string;
  state: string;
  sync_state: string;
  replay_lag: number | null;
  flush_lag: number | null;
}

interface SlotRow {
  slot_name: string;
  confirmed_flush_lsn: string | null;
  lag_bytes: string | null;
}

interface PrimaryView {
  obs: PrimaryObservation;
  senders: Map<string, SenderRow>;
  slots: Map<string, SlotRow>;
}

async function primaryView(t: ReplicationTopology): Promise<PrimaryView> {
  const v = await observePrimary(t, async (c) => {
    const senders = await c.query<SenderRow>(
      `SELECT application_name, state, sync_state, EXTRACT(epoch FROM replay_lag)::float8 AS replay_lag, EXTRACT(epoch FROM flush_lag)::float8 AS flush_lag
         FROM pg_stat_replication`,
    );
    const slots = await c.query<SlotRow>(
      `SELECT slot_name, confirmed_flush_lsn::text, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag_bytes
         FROM pg_replication_slots WHERE slot_type = 'logical'`,
    );
    return { senders: new Map(senders.rows.map((r) => [r.application_name, r])), slots: new Map(slots.rows.map((r) => [r.slot_name, r])) };
  });
  return { obs: v.obs, senders: v.more?.senders ?? new Map<string, SenderRow>(), slots: v.more?.slots ?? new Map<string, SlotRow>() };
}

interface SubscriptionRow {
  enabled: boolean;
  pid: number | null;
  applied: string | null;
  apply_error_count: string | null;
  sync_error_count: string | null;
  pending: string;
}

async function subscriptionRow(c: Client, subscription: string): Promise<SubscriptionRow | undefined> {
  const r = await c.query<SubscriptionRow>(
    `SELECT s.subenabled AS enabled, w.pid, pg_replication_origin_progress('pg_' || s.oid, true)::text AS applied,
            st.apply_error_count, st.sync_error_count,
            (SELECT count(*) FROM pg_subscription_rel r WHERE r.srsubid = s.oid AND r.srsubstate <> 'r') AS pending
       FROM pg_subscription s
       LEFT JOIN pg_stat_subscription w ON w.subid = s.oid AND w.relid IS NULL
       LEFT JOIN pg_stat_subscription_stats st ON st.subid = s.oid
      WHERE s.subname = $1`,
    [subscription],
  );
  return r.rows[0];
}

function replicaFrom(host: string, sub: SubscriptionRow | undefined, p: PrimaryView, subscription: string): ReplicaObservation {
  const base = { host, applyErrors: 0, syncErrors: 0, syncStandby: false };
  if (!sub) return { ...base, state: "missing" };
  const sender = p.senders.get(subscription);
  const slot = p.slots.get(subscription);
  const lagBytes = slot?.lag_bytes != null ? Math.max(0, Number(slot.lag_bytes)) : undefined;
  const state = !sub.enabled ? "disabled" : Number(sub.pending) > 0 ? "initializing" : sub.pid === null ? "stopped" : sender?.state === "catchup" ? "catchup" : "streaming";
  // replay_lag is NULL once a caught-up standby has been idle: then it is 0 behind.
  const lagSeconds = sender ? (sender.replay_lag ?? (lagBytes === 0 || lagBytes === undefined ? 0 : sender.flush_lag ?? undefined)) : undefined;
  return {
    ...base,
    state,
    lagBytes,
    lagSeconds: lagSeconds ?? undefined,
    appliedLsn: sub.applied ? lsnToBigInt(sub.applied) : undefined,
    applyErrors: Number(sub.apply_error_count ?? 0),
    syncErrors: Number(sub.sync_error_count ?? 0),
    syncStandby: sender?.sync_state === "sync" || sender?.sync_state === "quorum",
  };
}

export const logicalDriver: ReplicationDriver = {
  name: "logical",

  async observe(t: ReplicationTopology): Promise<Observation> {
    const p = await primaryView(t);
    const replicas = await Promise.all(
      t.replicas.map(async (r): Promise<ReplicaObservation> => {
        try {
          const sub = await withClient(r.url, (c) => subscriptionRow(c, r.subscription), OBSERVER);
          return replicaFrom(r.host, sub, p, r.subscription);
        } catch (e) {
          // Down (or full and refusing connections): the primary's slot still shows how far behind it is.
          const slot = p.slots.get(r.subscription);
          const lagBytes = slot?.lag_bytes != null ? Number(slot.lag_bytes) : undefined;
          return { host: r.host, state: "unreachable", lagBytes, applyErrors: 0, syncErrors: 0, syncStandby: false, error: (e as Error).message };
        }
      }),
    );
    return { primary: p.obs, replicas };
  },

  async waitApplied(t: ReplicationTopology, host: string, marker: FenceMarker, deadline: number): Promise<void> {
    const lsn = marker.lsn;
    const r = t.replicas.find((x) => x.host === host);
    if (!r) throw new Error(`no replica on ${host}`);
    // The primary's slot: what the subscriber confirmed applied and flushed.
    await withClient(
      t.primary.url,
      async (c) => {
        let confirmed = 0n;
        for (;;) {
          const s = await c.query<{ lsn: string | null }>("SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1", [r.subscription]);
          confirmed = s.rows[0]?.lsn ? lsnToBigInt(s.rows[0].lsn) : 0n;
          if (confirmed >= lsn) return;
          if (Date.now() > deadline) throw new Error(`${host} applied up to byte ${confirmed} of ${lsn} (${lsn - confirmed} behind) before the deadline`);
          await new Promise((res) => setTimeout(res, 20));
        }
      },
      OBSERVER,
    );
  },

  async detach(t: ReplicationTopology, host: string): Promise<void> {
    const r = t.replicas.find((x) => x.host === host);
    if (!r) throw new Error(`no replica on ${host}`);
    await dropSubscription(r.url, r.subscription, t.primary.url);
  },
};
