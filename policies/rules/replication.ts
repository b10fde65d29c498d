// Rule replication-stream: a service with a store and shadows has a replication stream to them,
// and a service whose consistency is strong replicates synchronously (each commit waits for a shadow).
import { Facts } from "../facts";
import { ServiceIntent } from "../intent";
import { Violation } from "../model";

export const REPLICATION = "replication-stream";

export function replicationStreams(f: Facts, intent: ServiceIntent[] = []): Violation[] {
  const out: Violation[] = [];
  const services = [...new Set(f.stores.map((s) => s.service))];
  for (const svc of services) {
    const stores = f.stores.filter((s) => s.service === svc);
    const primary = stores.find((s) => s.role === "primary") ?? stores[0];
    const shadows = f.instances.filter((i) => i.service === svc && i.role === "shadow").reduce((n, i) => n + i.count, 0);
    const streams = f.streams.filter((s) => s.service === svc);
    const declared = intent.find((i) => i.name === svc);
    if (shadows > 0 && !streams.some((s) => s.kind === "subscriber")) {
      out.push({
        rule: REPLICATION,
        resource: primary.r,
        problem: `'${svc}' keeps state and has ${shadows} shadow(s), but no replication stream feeds them: a promoted shadow would serve stale or no data`,
        fix: `give '${svc}' a ReplicationStream (understudy:services.${svc}.replication, store.schema) so every shadow reads its own replica`,
      });
    }
    const strong = primary.consistency === "strong" || declared?.consistency === "strong";
    const sync = streams.some((s) => s.mode === "sync");
    if (strong && shadows > 0 && !sync) {
      out.push({
        rule: REPLICATION,
        resource: primary.r,
        problem: `'${svc}' requires strong consistency but its commits do not wait for a replica (asynchronous replication can lose acknowledged writes on failover)`,
        fix: `set understudy:services.${svc}.replication.mode to sync (aws: a Multi-AZ primary), or its consistency to eventual`,
      });
    }
  }
  for (const d of intent.filter((i) => i.stateful && i.consistency === "strong" && i.mode === "async")) {
    if (out.some((v) => v.problem.startsWith(`'${d.name}' requires strong`))) continue;
    out.push({
      rule: REPLICATION,
      resource: f.stores.find((s) => s.service === d.name)?.r,
      problem: `'${d.name}' declares consistency strong with replication.mode async`,
      fix: `set understudy:services.${d.name}.replication.mode to sync, or its consistency to eventual`,
    });
  }
  return out;
}
