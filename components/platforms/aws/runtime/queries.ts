// The aws platform's metrics as CloudWatch queries (cloudwatch.ts), one per KPI and instance, with the
// labels the runtime folds by (service, role, host, instance; shadow for lag). A host is a zone: an
// instance's KPIs are its target group's in its zone (ALB metrics by LoadBalancer, TargetGroup and
// AvailabilityZone), its CPU its zone's Auto Scaling group's, its lag its read replica's ReplicaLag.
import { MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import type { InstanceQueries, PlatformQueries } from "../../../../automation/platform/promObserver";
import { PERIOD_SEC } from "./cloudwatch";
import { PoolTargets, ServiceTargets } from "./targets";

type Dims = Record<string, string>;

const metric = (id: string, namespace: string, name: string, dims: Dims, stat: string): MetricDataQuery => ({
  Id: id,
  ReturnData: false,
  MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) }, Period: PERIOD_SEC, Stat: stat },
});
const result = (id: string, expression: string, labels: Record<string, string>): MetricDataQuery => ({ Id: id, Expression: expression, Label: JSON.stringify(labels), ReturnData: true });

interface Instance {
  key: string;
  labels: Record<string, string>;
  alb: Dims;
  asg: string;
}

function instances(service: string, t: ServiceTargets): Instance[] {
  const of = (role: "live" | "shadow", p: PoolTargets | undefined): Instance[] =>
    Object.entries(p?.zones ?? {}).map(([host, z], i) => ({
      key: `${role}${i}`,
      labels: { service, role, host, instance: `${service}-${role}-${host}` },
      alb: { LoadBalancer: t.loadBalancer, TargetGroup: p?.targetGroup ?? "", AvailabilityZone: z.availabilityZone },
      asg: z.autoScalingGroup,
    }));
  return [...of("live", t.live), ...of("shadow", t.shadow)];
}

/** One query list for every instance: inputs hidden, one labelled expression per instance. */
function perInstance(all: Instance[], build: (x: Instance) => { inputs: MetricDataQuery[]; expression: string }): string {
  return JSON.stringify(all.flatMap((x) => {
    const q = build(x);
    return [...q.inputs, result(`${x.key}_out`, q.expression, x.labels)];
  }));
}

const ELB = "AWS/ApplicationELB";

export function awsInstanceQueries(service: string, t: ServiceTargets): InstanceQueries {
  const all = instances(service, t);
  return {
    // Healthy in its target group, as the ALB sees it.
    up: perInstance(all, (x) => ({ inputs: [metric(`${x.key}_h`, ELB, "HealthyHostCount", x.alb, "Minimum")], expression: `IF(${x.key}_h >= 1, 1, 0)` })),
    requestRate: perInstance(all, (x) => ({ inputs: [metric(`${x.key}_r`, ELB, "RequestCount", x.alb, "Sum")], expression: `${x.key}_r / PERIOD(${x.key}_r)` })),
    errorRate: perInstance(all, (x) => ({
      inputs: [metric(`${x.key}_r`, ELB, "RequestCount", x.alb, "Sum"), metric(`${x.key}_e`, ELB, "HTTPCode_Target_5XX_Count", x.alb, "Sum")],
      expression: `IF(${x.key}_r > 0, FILL(${x.key}_e, 0) / ${x.key}_r, 0)`,
    })),
    // Fraction of the instances' vCPUs in use (Prometheus' is cores: equal on one vCPU).
    cpu: perInstance(all, (x) => ({ inputs: [metric(`${x.key}_c`, "AWS/EC2", "CPUUtilization", { AutoScalingGroupName: x.asg }, "Average")], expression: `${x.key}_c / 100` })),
    // EC2 publishes no memory metric without the CloudWatch agent: left out (decide() works without it).
    memoryBytes: "[]",
    p99Ms: perInstance(all, (x) => ({ inputs: [metric(`${x.key}_t`, ELB, "TargetResponseTime", x.alb, "p99")], expression: `${x.key}_t * 1000` })),
    replicationLagSec: JSON.stringify(
      Object.entries(t.replicas).flatMap(([host, id], i) => [
        metric(`lag${i}`, "AWS/RDS", "ReplicaLag", { DBInstanceIdentifier: id }, "Maximum"),
        result(`lag${i}_out`, `lag${i}`, { service, shadow: `${service}-shadow-${host}` }),
      ]),
    ),
  };
}

/** Requests/s at the public ALB for the service: its live and shadow target groups together. */
export function awsLoadQuery(service: string, t: ServiceTargets): string {
  const groups = [t.live, t.shadow].filter((p): p is PoolTargets => p !== undefined && p.targetGroup !== "");
  const inputs = groups.map((p, i) => metric(`g${i}`, ELB, "RequestCount", { LoadBalancer: t.loadBalancer, TargetGroup: p.targetGroup }, "Sum"));
  if (inputs.length === 0) return "[]";
  const sum = inputs.map((q) => `FILL(${q.Id}, 0)`).join(" + ");
  return JSON.stringify([...inputs, result("load", `(${sum}) / PERIOD(g0)`, { service })]);
}

export function awsQueries(targets: Record<string, ServiceTargets>): PlatformQueries {
  const of = (service: string): ServiceTargets => {
    const t = targets[service];
    if (!t) throw new Error(`aws runtime: the stack's state has no resources of service '${service}' (not deployed yet?)`);
    return t;
  };
  return { instances: (service) => awsInstanceQueries(service, of(service)), load: (service) => awsLoadQuery(service, of(service)) };
}
