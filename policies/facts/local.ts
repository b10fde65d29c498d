// Facts from the local platform's dynamic resources (pulumi-nodejs:dynamic/local:<kind>): processes
// carry their role, service and host in their environment; the routing map file holds the weights.
import { at, num, record, ResourceArgs, str } from "../model";
import { asMode, asRole, Facts } from "./types";

const PREFIX = "pulumi-nodejs:dynamic/local:";
const kindOf = (r: ResourceArgs): string | undefined => (r.type.startsWith(PREFIX) ? r.type.slice(PREFIX.length) : undefined);

/** "key value" lines of an HAProxy map file. */
export function mapEntries(content: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of content.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    const n = num(v);
    if (k && n !== undefined) out[k] = n;
  }
  return out;
}

/** Resource names start with the service's name: `<service>-store-<host>`, `<service>-subscription-<host>`. */
function serviceOf(name: string, marker: string, services: string[]): string | undefined {
  return services.find((s) => name.startsWith(`${s}-${marker}`));
}

export function addLocalFacts(f: Facts, resources: ResourceArgs[]): void {
  const local = resources.filter((r) => kindOf(r) !== undefined);
  const services = [...new Set(local.map((r) => str(at(r.props, "env", "UNDERSTUDY_SERVICE"))).filter((s): s is string => !!s))];
  for (const r of local) {
    const kind = kindOf(r);
    const env = record(r.props.env);
    const role = asRole(env.UNDERSTUDY_ROLE);
    if (kind === "process" && role && str(env.UNDERSTUDY_SERVICE)) {
      const host = str(env.UNDERSTUDY_HOST);
      const address = str(r.props.address) ?? str(env.HOST);
      f.instances.push({
        r,
        platform: "local",
        service: str(env.UNDERSTUDY_SERVICE) ?? "",
        role,
        count: 1,
        where: [...(host ? [{ domain: "host", values: [host] }] : []), ...(address ? [{ domain: "address", values: [address] }] : [])],
        healthChecked: !!str(r.props.healthPath),
      });
    }
    const path = str(r.props.path);
    if (kind === "file" && path?.endsWith("routing.map")) {
      const m = mapEntries(str(r.props.content) ?? "");
      const service = serviceOf(r.name, "lb", services) ?? r.name.replace(/-lb-routing$/, "");
      const shadow = m.shadow_weight ?? 0;
      f.routes.push({ r, platform: "local", service, weights: [{ role: "live", weight: 100 - shadow }, { role: "shadow", weight: shadow }], liveImplied: true, mirrorPercent: m.mirror_percent });
    }
    if (kind === "postgresCluster") {
      const service = serviceOf(r.name, "store-", services);
      if (service) f.stores.push({ r, platform: "local", service });
    }
    if (kind === "replicationSubscription" || kind === "replicationSyncStandbys") {
      const service = serviceOf(r.name, kind === "replicationSubscription" ? "subscription-" : "sync-standbys-", services);
      if (service) f.streams.push({ r, platform: "local", service, kind: kind === "replicationSubscription" ? "subscriber" : "commit", mode: asMode(r.props.mode) });
    }
  }
}
