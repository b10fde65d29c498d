// Facts from the local platform's dynamic resources (pulumi-nodejs:dynamic/local:<kind>): processes
// carry their role, service and host in their environment; the HAProxy routing entries (set through
// its runtime API) hold the weights; subscriptions name the replica hosts.
import { at, num, record, ResourceArgs, str } from "../model";
import { asMode, asRole, Facts } from "./types";

const PREFIX = "pulumi-nodejs:dynamic/local:";
const kindOf = (r: ResourceArgs): string | undefined => (r.type.startsWith(PREFIX) ? r.type.slice(PREFIX.length) : undefined);

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
    if (kind === "haproxyRouting") {
      const m = record(r.props.entries);
      const service = serviceOf(r.name, "lb", services) ?? r.name.replace(/-lb-routing$/, "");
      const shadow = num(m.shadow_weight) ?? 0;
      f.routes.push({ r, platform: "local", service, weights: [{ role: "live", weight: 100 - shadow }, { role: "shadow", weight: shadow }], liveImplied: true, mirrorPercent: num(m.mirror_percent) });
    }
    if (kind === "postgresCluster") {
      const service = serviceOf(r.name, "store-", services);
      // A store whose host has a subscription is a replica; the one without is the primary.
      const host = service ? r.name.slice(`${service}-store-`.length) : "";
      const subscribed = local.some((x) => kindOf(x) === "replicationSubscription" && x.name === `${service}-subscription-${host}`);
      if (service) f.stores.push({ r, platform: "local", service, role: subscribed ? "replica" : "primary" });
    }
    if (kind === "replicationSubscription" || kind === "replicationSyncStandbys") {
      const service = serviceOf(r.name, kind === "replicationSubscription" ? "subscription-" : "sync-standbys-", services);
      if (service) f.streams.push({ r, platform: "local", service, kind: kind === "replicationSubscription" ? "subscriber" : "commit", mode: asMode(r.props.mode) });
    }
  }
}
