// Rule shadow-placement: a shadow never shares a host (local, docker), node or zone (kubernetes),
// or zone / subnet (aws) with a live instance of the same service — an understudy that dies with
// the lead is no understudy.
import { Facts, Instances } from "../facts";
import { Violation } from "../model";

export const PLACEMENT = "shadow-placement";

export interface PlacementConfig {
  /** Node labels that count as "another host" for kubernetes anti-affinity. */
  topologyKeys: string[];
}

function clashes(shadow: Instances, live: Instances[]): Violation[] {
  const out: Violation[] = [];
  for (const where of shadow.where) {
    const taken = live.filter((l) => l.where.some((w) => w.domain === where.domain && w.values.some((v) => where.values.includes(v))));
    if (taken.length === 0) continue;
    const shared = where.values.filter((v) => taken.some((l) => l.where.some((w) => w.domain === where.domain && w.values.includes(v))));
    out.push({
      rule: PLACEMENT,
      resource: shadow.r,
      problem: `shadow of '${shadow.service}' runs on ${where.domain} ${shared.join(", ")}, which also runs live instance(s) ${taken.map((l) => `'${l.r.name}'`).join(", ")}`,
      fix: `place the shadows on ${where.domain}s without a live instance of '${shadow.service}' (understudy:services.${shadow.service}.shadows.hosts, or add hosts)`,
    });
  }
  return out;
}

export function shadowPlacement(f: Facts, c: PlacementConfig): Violation[] {
  const out: Violation[] = [];
  for (const shadow of f.instances.filter((i) => i.role === "shadow")) {
    const live = f.instances.filter((i) => i.role === "live" && i.service === shadow.service && i.platform === shadow.platform);
    out.push(...clashes(shadow, live));
    if (shadow.platform === "kubernetes" && !(shadow.antiAffinity ?? []).some((a) => a.against === "live" && c.topologyKeys.includes(a.topologyKey))) {
      out.push({
        rule: PLACEMENT,
        resource: shadow.r,
        problem: `shadow pods of '${shadow.service}' may be scheduled beside its live pods: no required pod anti-affinity against them on ${c.topologyKeys.join(" or ")}`,
        fix: `add affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution selecting understudy.io/service=${shadow.service}, understudy.io/role=live with topologyKey ${c.topologyKeys[0]}`,
      });
    }
  }
  return out;
}
