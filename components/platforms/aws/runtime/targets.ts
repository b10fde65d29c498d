// What the aws runtime observes, read from the stack's own state (the resources `up` made, with their
// tags and outputs): per service, the ALB and the target group of each pool, each zone's Auto Scaling
// group, each shadow zone's read replica. No naming convention is guessed at AWS's side.

export interface PoolTargets {
  /** CloudWatch's TargetGroup dimension (arn suffix). */
  targetGroup: string;
  /** Config host → its zone and the Auto Scaling group that runs the pool's instances there. */
  zones: Record<string, { availabilityZone: string; autoScalingGroup: string }>;
}

export interface ServiceTargets {
  /** CloudWatch's LoadBalancer dimension of the public ALB (arn suffix). */
  loadBalancer: string;
  live?: PoolTargets;
  shadow?: PoolTargets;
  /** Shadow host → the DB instance identifier of its read replica. */
  replicas: Record<string, string>;
  /** Host → DB instance identifier of every store (the primary included). */
  stores: Record<string, string>;
}

/** One resource of `pulumi stack export` (Deployment v3): its type, logical name and outputs. */
export interface StateResource {
  type: string;
  urn: string;
  outputs?: Record<string, unknown>;
}

const nameOf = (r: StateResource): string => r.urn.split("::").pop() ?? "";
const text = (v: unknown): string => (typeof v === "string" ? v : "");

function tagsOf(r: StateResource): Record<string, string> {
  const t = r.outputs?.tags;
  if (Array.isArray(t)) return Object.fromEntries(t.map((x: { key?: unknown; value?: unknown }) => [text(x.key), text(x.value)]));
  return Object.fromEntries(Object.entries((t ?? {}) as Record<string, unknown>).map(([k, v]) => [k, text(v)]));
}

/** Reads the targets of every service; `zones` is the stack's host → availability zone (understudy:aws.zones). */
export function targetsFromState(resources: StateResource[], zones: Record<string, string>): Record<string, ServiceTargets> {
  const hostOfZone = new Map(Object.entries(zones).map(([h, z]) => [z, h]));
  const alb = resources.find((r) => r.type === "aws:lb/loadBalancer:LoadBalancer" && nameOf(r) === "public");
  const out: Record<string, ServiceTargets> = {};
  const service = (name: string): ServiceTargets => (out[name] ??= { loadBalancer: text(alb?.outputs?.arnSuffix), replicas: {}, stores: {} });
  const pool = (svc: string, role: string): PoolTargets | undefined => {
    const s = service(svc);
    return role === "live" ? (s.live ??= { targetGroup: "", zones: {} }) : role === "shadow" ? (s.shadow ??= { targetGroup: "", zones: {} }) : undefined;
  };
  for (const r of resources) {
    const tags = tagsOf(r);
    const svc = tags["understudy:service"];
    if (!svc) continue;
    const role = tags["understudy:role"];
    // The shadows' second group, behind the mirror ALB, carries copies: not the pool's own traffic.
    if (r.type === "aws:lb/targetGroup:TargetGroup" && !nameOf(r).endsWith("-mirror")) {
      const p = pool(svc, role);
      if (p) p.targetGroup = text(r.outputs?.arnSuffix);
    }
    if (r.type === "aws:autoscaling/group:Group") {
      const p = pool(svc, role);
      for (const az of (tags["understudy:zones"] ?? "").split(",").filter((z) => z !== "")) {
        const host = hostOfZone.get(az);
        if (p && host) p.zones[host] = { availabilityZone: az, autoScalingGroup: text(r.outputs?.name) };
      }
    }
    if (r.type === "aws:rds/instance:Instance") {
      const host = text(tags.Name).replace(`${svc}-store-`, "");
      service(svc).stores[host] = text(r.outputs?.identifier);
      if (role === "replica") service(svc).replicas[host] = text(r.outputs?.identifier);
    }
  }
  return out;
}
