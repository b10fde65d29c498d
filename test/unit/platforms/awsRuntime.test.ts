// The aws runtime without AWS: the CloudWatch source against recorded GetMetricData answers (the
// response shape of the CloudWatch API reference), and the RDS promoter against a recorded RDS.
import test from "ava";
import { GetMetricDataCommand, GetMetricDataCommandOutput, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand } from "@aws-sdk/client-rds";
import { cloudWatchSource, cloudWatchSourceFor } from "../../../components/platforms/aws/runtime/cloudwatch";
import { awsPromoter, RdsApi } from "../../../components/platforms/aws/runtime/promoter";
import { ServiceTargets } from "../../../components/platforms/aws/runtime/targets";
import { parseStackConfig } from "../../../components/config";
import { PromotionRefused } from "../../../automation/replication/promote";
import { MetricsSource } from "../../../automation/metrics/source";
import { stackConfig } from "./mockStack";

test("the CloudWatch source: the queries as CloudWatch takes them, every page, the newest point per labelled series", async (t) => {
  const sent: GetMetricDataCommand[] = [];
  // Two pages, as GetMetricData answers when results exceed a page (NextToken).
  const pages: Pick<GetMetricDataCommandOutput, "MetricDataResults" | "NextToken">[] = [
    { MetricDataResults: [{ Id: "a_out", Label: '{"instance":"a","role":"live"}', Timestamps: [new Date(120_000), new Date(60_000)], Values: [3, 2], StatusCode: "Complete" }], NextToken: "p2" },
    { MetricDataResults: [{ Id: "b_out", Label: '{"instance":"b","role":"shadow"}', Timestamps: [new Date(60_000)], Values: [7], StatusCode: "Complete" }] },
  ];
  const src = cloudWatchSource({ send: async (c) => (sent.push(c), pages[sent.length - 1]) });
  const q: MetricDataQuery[] = [{ Id: "a", MetricStat: { Metric: { Namespace: "AWS/ApplicationELB", MetricName: "RequestCount" }, Period: 60, Stat: "Sum" }, ReturnData: false }];
  const samples = await src.query(JSON.stringify(q));
  t.deepEqual(samples, [
    { labels: { instance: "a", role: "live" }, value: 3, at: 120_000 },
    { labels: { instance: "b", role: "shadow" }, value: 7, at: 60_000 },
  ]);
  t.is(sent.length, 2);
  t.is(sent[1].input.NextToken, "p2");
  const range = await cloudWatchSource({ send: async (c) => (sent.push(c), pages[1]) }).range(JSON.stringify(q), 0, 3_600_000, 300);
  t.is(sent[2].input.MetricDataQueries?.[0].MetricStat?.Period, 300, "a range asks at its step");
  t.deepEqual(range, [{ labels: { instance: "b", role: "shadow" }, points: [{ t: 60_000, v: 7 }] }]);
  await t.throwsAsync(() => src.query("up{x}"), { message: /a CloudWatch query is a JSON list of GetMetricData MetricDataQuery objects/ });
  t.throws(() => cloudWatchSourceFor("cloudwatch://"), { message: /expected cloudwatch:\/\/<region>/ });
});

const spec = parseStackConfig(stackConfig("aws", {}));
const targets: Record<string, ServiceTargets> = {
  orders: {
    loadBalancer: "app/public/1",
    live: { targetGroup: "targetgroup/live/1", zones: { "host-1": { availabilityZone: "eu-west-1a", autoScalingGroup: "asg-live" } } },
    shadow: { targetGroup: "targetgroup/shadow/2", zones: { "host-3": { availabilityZone: "eu-west-1c", autoScalingGroup: "asg-s3" }, "host-4": { availabilityZone: "eu-west-1d", autoScalingGroup: "asg-s4" } } },
    replicas: { "host-3": "db-3", "host-4": "db-4" },
    stores: { "host-1": "db-1", "host-3": "db-3", "host-4": "db-4" },
  },
};

/** A recorded RDS: DescribeDBInstances per identifier; PromoteReadReplica makes a replica standalone after two looks. */
function recordedRds(statuses: Record<string, { status: string; source?: string } | undefined>) {
  const calls: string[] = [];
  let looks = 0;
  const rds = {
    async send(c: DescribeDBInstancesCommand | PromoteReadReplicaCommand) {
      const id = c.input.DBInstanceIdentifier ?? "";
      if (c instanceof PromoteReadReplicaCommand) {
        calls.push(`promote ${id}`);
        statuses[id] = { status: "modifying", source: statuses[id]?.source };
        return {};
      }
      calls.push(`describe ${id}`);
      const s = statuses[id];
      if (!s) throw Object.assign(new Error(`DBInstance ${id} not found`), { name: "DBInstanceNotFoundFault" });
      if (s.status === "modifying" && ++looks >= 2) statuses[id] = { status: "available" };
      return { DBInstances: [{ DBInstanceIdentifier: id, DBInstanceStatus: s.status, ReadReplicaSourceDBInstanceIdentifier: s.source }] };
    },
  } as RdsApi;
  return { rds, calls };
}

const lagSource = (lags: Record<string, number>): MetricsSource => ({
  query: async () => Object.entries(lags).map(([host, v]) => ({ labels: { service: "orders", shadow: `orders-shadow-${host}` }, value: v, at: 0 })),
  range: async () => [],
});

function promoterWith(statuses: Record<string, { status: string; source?: string } | undefined>, lags: Record<string, number>) {
  const { rds, calls } = recordedRds(statuses);
  const repointed: string[] = [];
  const p = awsPromoter({
    rds,
    metrics: lagSource(lags),
    spec: async () => spec,
    targets: async () => targets,
    repoint: async (_s, svc, host) => void repointed.push(`${svc.name}→${host}`),
    sleep: async () => undefined,
  });
  return { p, calls, repointed };
}

test("RDS promotion is refused while the primary is available, without acceptDataLoss, or over the lag bound", async (t) => {
  const alive = promoterWith({ "db-1": { status: "available" }, "db-3": { status: "available", source: "db-1" }, "db-4": { status: "available", source: "db-1" } }, { "host-3": 1, "host-4": 9 });
  const e = await t.throwsAsync(() => alive.p.promote({ service: "orders" }), { instanceOf: PromotionRefused });
  t.regex(e?.message ?? "", /primary db-1 is available and cannot be fenced/);
  t.regex(e?.message ?? "", /asynchronous: .* pass acceptDataLoss/);
  t.false(alive.calls.some((c) => c.startsWith("promote")));
  const lagging = promoterWith({ "db-3": { status: "available", source: "db-1" }, "db-4": { status: "available", source: "db-1" } }, { "host-3": 1, "host-4": 9 });
  await t.throwsAsync(() => lagging.p.promote({ service: "orders", to: "host-4", acceptDataLoss: true }), { message: /host-4 lags 9s, over the bound of 5s/ });
  const blind = promoterWith({ "db-3": { status: "available", source: "db-1" } }, {});
  await t.throwsAsync(() => blind.p.promote({ service: "orders", acceptDataLoss: true }), { message: /no ReplicaLag from CloudWatch/ });
});

test("RDS promotion: the least-behind replica, PromoteReadReplica, standalone before the stack is repointed", async (t) => {
  const { p, calls, repointed } = promoterWith({ "db-1": { status: "failed" }, "db-3": { status: "available", source: "db-1" }, "db-4": { status: "available", source: "db-1" } }, { "host-3": 4, "host-4": 2 });
  const status = (await p.status("orders")) as { stores: { host: string; lagSeconds?: number }[] };
  t.deepEqual(status.stores.map((s) => [s.host, s.lagSeconds]), [["host-1", undefined], ["host-3", 4], ["host-4", 2]]);
  const report = await p.promote({ service: "orders", acceptDataLoss: true });
  t.is(report.to, "host-4");
  t.is(report.oldPrimary, "dead");
  t.is(report.rpo.proven, false);
  t.true(calls.includes("promote db-4"));
  // Polled until RDS reported it available and no longer a replica, then repointed once.
  t.true(calls.lastIndexOf("describe db-4") > calls.indexOf("promote db-4"));
  t.deepEqual(repointed, ["orders→host-4"]);
});
