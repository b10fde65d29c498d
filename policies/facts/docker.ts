// Facts from the docker platform's containers: labels carry service and role; the networks a
// container joins (other than the backbone) are its host; the HAProxy map upload holds the weights.
import { at, list, num, ResourceArgs, str } from "../model";
import { asMode, asRole, Facts } from "./types";

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

const labelsOf = (r: ResourceArgs): Record<string, string> =>
  Object.fromEntries(list(r.props.labels).map((l) => [str(at(l, "label")) ?? "", str(at(l, "value")) ?? ""]));

function uploaded(r: ResourceArgs, suffix: string): string | undefined {
  const u = list(r.props.uploads).find((x) => str(at(x, "file"))?.endsWith(suffix));
  return u === undefined ? undefined : str(at(u, "content"));
}

export function addDockerFacts(f: Facts, resources: ResourceArgs[]): void {
  for (const r of resources.filter((x) => x.type === "docker:index/container:Container")) {
    const l = labelsOf(r);
    const service = l["understudy.service"];
    if (!service) continue;
    const role = asRole(l["understudy.role"]);
    if (role) {
      const networks = list(r.props.networksAdvanced).map((n) => str(at(n, "name")) ?? "").filter((n) => n !== "" && !n.endsWith("-backbone"));
      const host = l["understudy.host"];
      f.instances.push({
        r,
        platform: "docker",
        service,
        role,
        count: 1,
        where: [...(networks.length > 0 ? [{ domain: "network", values: networks }] : []), ...(host ? [{ domain: "host", values: [host] }] : [])],
        healthChecked: list(at(r.props, "healthcheck", "tests")).length > 0,
      });
    }
    const map = uploaded(r, "routing.map");
    if (l["understudy.role"] === "loadbalancer" && map !== undefined) {
      const m = mapEntries(map);
      const shadow = m.shadow_weight ?? 0;
      f.routes.push({ r, platform: "docker", service, weights: [{ role: "live", weight: 100 - shadow }, { role: "shadow", weight: shadow }], liveImplied: true, mirrorPercent: m.mirror_percent });
    }
    const storeRole = l["understudy.role"];
    if (storeRole === "primary" || storeRole === "replica") f.stores.push({ r, platform: "docker", service, role: storeRole, consistency: l["understudy.consistency"] });
    const step = l["understudy.replication"];
    if (step === "subscription" || step === "standbys") {
      f.streams.push({ r, platform: "docker", service, kind: step === "subscription" ? "subscriber" : "commit", mode: asMode(l["understudy.mode"]) });
    }
  }
}
