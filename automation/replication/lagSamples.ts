// Observations → Prometheus samples, pure: the exporter's functional core. Lag in seconds is not
// always measurable (a disconnected replica reports nothing); then it is the time since the replica
// was last seen caught up, so a shadow that is down shows a lag that keeps growing.
import { Observation, ReplicaState, ReplicationTopology } from "./driver";

export const STATES: ReplicaState[] = ["streaming", "catchup", "initializing", "stopped", "disabled", "missing", "unreachable"];

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Per host: when the replica was last seen with nothing to apply (ms since epoch). */
export type CaughtUp = Record<string, number>;

export function lagSamples(t: ReplicationTopology, o: Observation, caughtUp: CaughtUp, now: number): { samples: Sample[]; caughtUp: CaughtUp } {
  const samples: Sample[] = [];
  const next: CaughtUp = { ...caughtUp };
  samples.push({ name: "understudy_replication_primary_up", labels: { service: t.service, host: t.primary.host, driver: t.driver }, value: o.primary.reachable ? 1 : 0 });
  for (const r of o.replicas) {
    const labels = { service: t.service, shadow: `${t.service}-shadow-${r.host}`, host: r.host, driver: t.driver };
    const healthy = r.state === "streaming" || r.state === "catchup";
    if (healthy && (r.lagBytes === 0 || r.lagSeconds === 0)) next[r.host] = now;
    const since = next[r.host] ?? now;
    const lagSeconds = healthy && r.lagSeconds !== undefined ? r.lagSeconds : (now - since) / 1000;
    samples.push({ name: "understudy_replication_lag_seconds", labels, value: lagSeconds });
    if (r.lagBytes !== undefined) samples.push({ name: "understudy_replication_lag_bytes", labels, value: r.lagBytes });
    if (r.lagOffsets !== undefined) samples.push({ name: "understudy_replication_lag_offsets", labels, value: r.lagOffsets });
    for (const s of STATES) samples.push({ name: "understudy_replication_state", labels: { ...labels, state: s }, value: r.state === s ? 1 : 0 });
    samples.push({ name: "understudy_replication_apply_errors_total", labels, value: r.applyErrors });
    samples.push({ name: "understudy_replication_sync_errors_total", labels, value: r.syncErrors });
    samples.push({ name: "understudy_replication_sync_standby", labels, value: r.syncStandby ? 1 : 0 });
  }
  return { samples, caughtUp: next };
}
