// Facts from the kubernetes platform's objects: Deployments (labels, anti-affinity, probes), the
// HTTPRoute's weighted backendRefs and RequestMirror filter, Gateways and LoadBalancer Services,
// CloudNativePG Clusters, Subscriptions and the synchronous-commit patch.
import { at, list, num, record, ResourceArgs, str } from "../model";
import { asRole, Facts, Role } from "./types";

const SERVICE = "understudy.io/service";
const ROLE = "understudy.io/role";
const kindOf = (r: ResourceArgs): string | undefined => (r.type.startsWith("kubernetes:") ? r.type.split(":").pop() : undefined);
const labelsOf = (r: ResourceArgs): Record<string, unknown> => record(at(r.props, "metadata", "labels"));

function antiAffinity(pod: unknown, service: string): { against: Role; topologyKey: string }[] {
  return list(at(pod, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution")).flatMap((term) => {
    const match = record(at(term, "labelSelector", "matchLabels"));
    const against = asRole(match[ROLE]);
    const key = str(at(term, "topologyKey"));
    return against && key && match[SERVICE] === service ? [{ against, topologyKey: key }] : [];
  });
}

function pinned(pod: unknown): { domain: string; values: string[] }[] {
  const terms = list(at(pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"));
  return terms.flatMap((t) =>
    list(at(t, "matchExpressions"))
      .filter((e) => at(e, "operator") === "In")
      .map((e) => ({ domain: str(at(e, "key")) ?? "node", values: list(at(e, "values")).map((v) => str(v) ?? "") })),
  );
}

/** RequestMirror's percent, or its fraction (numerator/denominator, default denominator 100). */
function mirrorPercent(rule: unknown): number | undefined {
  const f = list(at(rule, "filters")).find((x) => at(x, "type") === "RequestMirror");
  if (f === undefined) return undefined;
  const pct = num(at(f, "requestMirror", "percent"));
  if (pct !== undefined) return pct;
  const n = num(at(f, "requestMirror", "fraction", "numerator"));
  return n === undefined ? 100 : (n * 100) / (num(at(f, "requestMirror", "fraction", "denominator")) ?? 100);
}

export function addKubernetesFacts(f: Facts, resources: ResourceArgs[]): void {
  for (const r of resources) {
    const kind = kindOf(r);
    if (!kind) continue;
    const labels = labelsOf(r);
    const service = str(labels[SERVICE]);
    if (kind === "Deployment" && service) {
      const role = asRole(labels[ROLE]);
      const pod = at(r.props, "spec", "template", "spec");
      const containers = list(at(pod, "containers"));
      if (role) {
        f.instances.push({
          r,
          platform: "kubernetes",
          service,
          role,
          count: num(at(r.props, "spec", "replicas")) ?? 1,
          where: pinned(pod),
          antiAffinity: antiAffinity(pod, service),
          healthChecked: containers.length > 0 && containers.every((c) => at(c, "readinessProbe") !== undefined && at(c, "livenessProbe") !== undefined),
        });
      }
    }
    if (kind === "HTTPRoute" && service) {
      for (const rule of list(at(r.props, "spec", "rules"))) {
        const refs = list(at(rule, "backendRefs"));
        const weights = refs.map((b) => ({ role: asRole(str(at(b, "name"))?.split("-").pop()), weight: num(at(b, "weight")) ?? 1 }));
        f.routes.push({ r, platform: "kubernetes", service, weights, liveImplied: false, mirrorPercent: mirrorPercent(rule) });
      }
    }
    if (kind === "Gateway") {
      const listeners = list(at(r.props, "spec", "listeners"));
      f.entryPoints.push({ r, platform: "kubernetes", public: labels["understudy.io/exposure"] !== "internal", tls: listeners.length > 0 && listeners.every((l) => ["HTTPS", "TLS"].includes(str(at(l, "protocol")) ?? "")) });
    }
    if (kind === "Service" && at(r.props, "spec", "type") === "LoadBalancer") {
      const annotations = Object.entries(record(at(r.props, "metadata", "annotations")));
      const internal = annotations.some(([k, v]) => /internal/i.test(k) || v === "internal");
      const tls = annotations.some(([k]) => /ssl-cert|tls-cert|certificate/i.test(k));
      f.entryPoints.push({ r, platform: "kubernetes", public: !internal, tls });
    }
    if (kind === "Cluster" && r.type.includes("postgresql.cnpg.io") && service) {
      const role = labels[ROLE];
      f.stores.push({ r, platform: "kubernetes", service, role: role === "primary" || role === "replica" ? role : undefined, consistency: str(labels["understudy.io/consistency"]) });
    }
    if (kind === "Subscription" && r.type.includes("postgresql.cnpg.io") && service) f.streams.push({ r, platform: "kubernetes", service, kind: "subscriber" });
  }
  // Second pass: a synchronous-commit patch names its primary Cluster, whose store fact has the service.
  for (const r of resources) {
    if (kindOf(r) === "ClusterPatch" && at(r.props, "spec", "postgresql", "synchronous") !== undefined) {
      const cluster = str(at(r.props, "metadata", "name"));
      const owner = f.stores.find((s) => s.platform === "kubernetes" && at(s.r.props, "metadata", "name") === cluster)?.service;
      const sync = num(at(r.props, "spec", "postgresql", "synchronous", "number")) ?? 0;
      if (owner) f.streams.push({ r, platform: "kubernetes", service: owner, kind: "commit", mode: sync > 0 ? "sync" : "async" });
    }
  }
}
