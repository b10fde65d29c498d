// The aws platform under Pulumi mocks, from the shared stack config: ASGs in disjoint zones, ALB
// weights and health checks, the Envoy mirroring sidecar, RDS with read replicas, no password in sight.
import * as pulumi from "@pulumi/pulumi";
import test from "ava";
import { copiesDelivered, mirrorPath } from "./envoyCircuit";
import { policyViolations, at, byType, list, one, recordResources, Registered, settle, stackConfig, str } from "./mockStack";

const registered = recordResources("aws");
const zones = Object.fromEntries([1, 2, 3, 4].map((i) => [`host-${i}`, { subnetId: `subnet-${i}`, albSubnetId: `subnet-public-${i}`, availabilityZone: `eu-west-1${"abcd"[i - 1]}` }]));
const raw = { ...stackConfig("aws", { vpcId: "vpc-1", zones, amiId: "ami-1", domain: "shop.example.com", public: true, certificateArn: "arn:aws:acm:eu-west-1:1:certificate/x", vpcEndpoints: true }), "aws:region": "eu-west-1" };
pulumi.runtime.setAllConfig(raw);

const { understudyProgram } = require("../../../components/program") as typeof import("../../../components/program");
const { createPlatform } = require("../../../components/platforms") as typeof import("../../../components/platforms");
const { parseStackConfig } = require("../../../components/config") as typeof import("../../../components/config");
const { envoyConfig, MIRROR_MAX_IN_FLIGHT } = require("../../../components/platforms/aws/userData") as typeof import("../../../components/platforms/aws/userData");

const tagsOf = (asg: Registered): Record<string, string> => Object.fromEntries(list(at(asg.inputs, "tags")).map((t) => [str(at(t, "key")), str(at(t, "value"))]));
const userData = (name: string): string => Buffer.from(str(at(one(registered, "aws:ec2/launchTemplate:LaunchTemplate", name).inputs, "userData")), "base64").toString();
const subnets = (asgs: Registered[]): string[] => asgs.flatMap((a) => list(at(a.inputs, "vpcZoneIdentifiers")).map(str)).sort();

test.before(async () => {
  understudyProgram(process.cwd(), raw);
  await settle();
});

test.serial("an Auto Scaling group per pool, over its own zones' subnets only", (t) => {
  const asgs = byType(registered, "aws:autoscaling/group:Group");
  const live = asgs.filter((a) => tagsOf(a)["understudy:role"] === "live");
  const shadow = asgs.filter((a) => tagsOf(a)["understudy:role"] === "shadow");
  t.deepEqual(subnets(live), ["subnet-1", "subnet-2"]);
  t.deepEqual(subnets(shadow), ["subnet-3", "subnet-4"]);
  const liveZones = live.flatMap((a) => tagsOf(a)["understudy:zones"].split(","));
  t.deepEqual(shadow.flatMap((a) => tagsOf(a)["understudy:zones"].split(",")).filter((z) => liveZones.includes(z)), []);
  for (const a of asgs) t.is(at(a.inputs, "healthCheckType"), "ELB");
});

test.serial("a pool can outgrow its zones (instancesPerZone); replacements launch before they terminate", (t) => {
  const asgs = byType(registered, "aws:autoscaling/group:Group");
  for (const a of asgs) {
    const zonesOfGroup = list(at(a.inputs, "vpcZoneIdentifiers")).length;
    t.is(at(a.inputs, "desiredCapacity"), zonesOfGroup);
    t.is(at(a.inputs, "minSize"), zonesOfGroup);
    t.true(Number(at(a.inputs, "maxSize")) > Number(at(a.inputs, "desiredCapacity")), "room to launch a replacement first");
    t.deepEqual(at(a.inputs, "instanceMaintenancePolicy"), { minHealthyPercentage: 100, maxHealthyPercentage: 200 });
    t.is(at(a.inputs, "instanceRefresh.preferences.minHealthyPercentage"), 100);
    t.is(at(a.inputs, "instanceRefresh.preferences.maxHealthyPercentage"), 200);
  }
  // The same program with three instances per zone: two live zones carry six live instances.
  const { parseAwsSettings } = require("../../../components/platforms/aws/settings") as typeof import("../../../components/platforms/aws/settings");
  t.is(parseAwsSettings({ "understudy:aws": JSON.stringify({ vpcId: "v", amiId: "a", instancesPerZone: 3 }) }).instancesPerZone, 3);
  t.throws(() => parseAwsSettings({ "understudy:aws": JSON.stringify({ vpcId: "v", amiId: "a", instancesPerZone: 0 }) }), { message: /understudy:aws\.instancesPerZone: must be an integer between 1 and 50/ });
});

test.serial("subnets: ALBs in their own (public) subnets, instances and stores in private ones, VPC endpoints for Secrets Manager and SSM", (t) => {
  t.deepEqual(list(at(one(registered, "aws:lb/loadBalancer:LoadBalancer", "public").inputs, "subnets")), ["subnet-public-1", "subnet-public-2", "subnet-public-3", "subnet-public-4"]);
  t.deepEqual(list(at(one(registered, "aws:lb/loadBalancer:LoadBalancer", "mirror").inputs, "subnets")), ["subnet-1", "subnet-2", "subnet-3", "subnet-4"]);
  t.deepEqual(list(at(one(registered, "aws:rds/subnetGroup:SubnetGroup", "stores").inputs, "subnetIds")), ["subnet-1", "subnet-2", "subnet-3", "subnet-4"]);
  const asgSubnets = subnets(byType(registered, "aws:autoscaling/group:Group"));
  t.false(asgSubnets.some((x) => x.startsWith("subnet-public")));
  const endpoints = byType(registered, "aws:ec2/vpcEndpoint:VpcEndpoint").map((r) => r.inputs);
  t.deepEqual(endpoints.map((e) => at(e, "serviceName")), ["com.amazonaws.eu-west-1.secretsmanager", "com.amazonaws.eu-west-1.ssm", "com.amazonaws.eu-west-1.ssmmessages", "com.amazonaws.eu-west-1.ec2messages"]);
  for (const e of endpoints) {
    t.is(at(e, "privateDnsEnabled"), true);
    t.deepEqual(list(at(e, "subnetIds")), ["subnet-1", "subnet-2", "subnet-3", "subnet-4"]);
  }
  // A public ALB on the instances' own subnets is refused, naming the key.
  const { parseAwsSettings } = require("../../../components/platforms/aws/settings") as typeof import("../../../components/platforms/aws/settings");
  const shared = { vpcId: "v", amiId: "a", public: true, zones: { a: { subnetId: "s1", availabilityZone: "z1" } } };
  t.throws(() => parseAwsSettings({ "understudy:aws": JSON.stringify(shared) }), { message: /understudy:aws\.zones\.a\.albSubnetId: a public ALB needs its own \(public\) subnet/ });
  t.throws(() => parseAwsSettings({ "understudy:aws": JSON.stringify({ vpcId: "v", amiId: "a", vpcEndpoints: true }) }), { message: /aws:region: .*vpcEndpoints needs the region/ });
});

test.serial("the final snapshot names project, stack and service, with a suffix drawn once per store", (t) => {
  const db = one(registered, "aws:rds/instance:Instance", "orders-store-host-1").inputs;
  t.is(at(db, "finalSnapshotIdentifier"), "understudy-aws-orders-final-a1b2c3d4");
  t.is(byType(registered, "pulumi-nodejs:dynamic/aws:store-suffix").length, 1);
  const { snapshotIdentifier } = require("../../../components/platforms/aws/snapshotName") as typeof import("../../../components/platforms/aws/snapshotName");
  t.not(snapshotIdentifier("understudy", "prod", "orders", "0001"), snapshotIdentifier("shop", "prod", "orders", "0001"));
  t.not(snapshotIdentifier("understudy", "prod", "orders", "0001"), snapshotIdentifier("understudy", "prod", "orders", "0002"));
  // Stack names may hold what RDS refuses ('_', '.', a leading digit, double hyphens).
  t.is(snapshotIdentifier("my_project", "1.prod--eu", "orders", "ab12"), "my-project-1-prod-eu-orders-final-ab12");
  t.is(snapshotIdentifier("2shop", "dev", "orders", "ab12"), "s-2shop-dev-orders-final-ab12");
  const long = snapshotIdentifier("p".repeat(200), "s".repeat(100), "orders", "ab12");
  t.true(long.length <= 255 && long.endsWith("-final-ab12") && /^[a-z]/.test(long), long);
});

test.serial("shadows read their own read replica, and a mirrored write never reaches a store", (t) => {
  for (const host of ["host-3", "host-4"]) {
    const ud = userData(`orders-shadow-${host}`);
    t.regex(ud, new RegExp(`orders-store-${host}\\.rds\\.example`), "the shadow's DATABASE_URL is its replica");
    t.regex(ud, /UNDERSTUDY_ROLE=shadow/);
  }
});

test.serial("target groups are health-checked on the service's health path", (t) => {
  const tgs = byType(registered, "aws:lb/targetGroup:TargetGroup");
  t.is(tgs.length, 3); // live, shadow, and the shadows' mirror group
  for (const tg of tgs) {
    t.is(at(tg.inputs, "healthCheck.enabled"), true);
    t.is(at(tg.inputs, "healthCheck.path"), "/healthz");
    t.is(at(tg.inputs, "port"), 15000);
  }
});

test.serial("the listener rule forwards with the live/shadow weights; HTTPS with HTTP redirecting", (t) => {
  const rule = one(registered, "aws:lb/listenerRule:ListenerRule", "orders-route").inputs;
  t.deepEqual(list(at(rule, "actions.0.forward.targetGroups")).map((g) => at(g, "weight")), [90, 10]);
  t.deepEqual(at(rule, "conditions.0.hostHeader.values"), ["orders.shop.example.com"]);
  const pub = byType(registered, "aws:lb/listener:Listener").filter((l) => str(at(l.inputs, "loadBalancerArn")).endsWith(":public"));
  t.deepEqual(pub.map((l) => [at(l.inputs, "protocol"), at(l.inputs, "port"), at(l.inputs, "defaultActions.0.type")]).sort(), [["HTTP", 80, "redirect"], ["HTTPS", 443, "fixed-response"]]);
  t.is(at(one(registered, "aws:lb/loadBalancer:LoadBalancer", "public").inputs, "internal"), false);
  t.is(at(one(registered, "aws:lb/loadBalancer:LoadBalancer", "mirror").inputs, "internal"), true);
});

test.serial("mirroring: live sidecars copy the mirror percent to the internal mirror ALB, shadows copy nothing", (t) => {
  const live = userData("orders-live");
  t.regex(live, /"request_mirror_policies"/);
  t.regex(live, /"numerator": 25/);
  t.regex(live, /"address": "mirror.elb.example"/);
  t.regex(live, /x-understudy-mirror/);
  const shadowTemplates = byType(registered, "aws:ec2/launchTemplate:LaunchTemplate").filter((r) => r.name.startsWith("orders-shadow"));
  for (const tpl of shadowTemplates) t.notRegex(userData(tpl.name), /request_mirror_policies/);
  t.deepEqual(at(one(registered, "aws:lb/listenerRule:ListenerRule", "orders-mirror").inputs, "conditions.0.hostHeader.values"), ["orders.mirror.understudy"]);
});

test.serial("bodies over the cap are not copied (Content-Length route without mirror first)", (t) => {
  const spec = parseStackConfig(raw);
  const cfg = JSON.parse(envoyConfig({ service: spec.services[0], role: "live", appDir: "/opt/u", sidecarPort: 15000, mirror: { albDns: "m", host: "h" } })) as unknown;
  const routes = list(at(cfg, "static_resources.listeners.0.filter_chains.0.filters.0.typed_config.route_config.virtual_hosts.0.routes"));
  t.is(at(routes[0], "match.headers.0.range_match.start"), 65537);
  t.is(at(routes[0], "route.request_mirror_policies"), undefined);
  t.truthy(at(routes[2], "route.request_mirror_policies"));
});

test.serial("the mirror path as Envoy reads it: copies are admitted, at most MIRROR_MAX_IN_FLIGHT at once", (t) => {
  const spec = parseStackConfig(raw);
  const cfg = JSON.parse(envoyConfig({ service: spec.services[0], role: "live", appDir: "/opt/u", sidecarPort: 15000, mirror: { albDns: "m", host: "h" } })) as unknown;
  // ingress → "copy" (the loopback listener that marks the copy) → "shadows" (the mirror ALB)
  t.deepEqual(mirrorPath(cfg).map((c) => at(c, "name")), ["copy", "shadows"]);
  t.is(copiesDelivered(cfg, 1), 1, "the first copy, on a cold pool, must not overflow the pending queue");
  t.is(copiesDelivered(cfg, MIRROR_MAX_IN_FLIGHT), MIRROR_MAX_IN_FLIGHT);
  t.is(copiesDelivered(cfg, 500), MIRROR_MAX_IN_FLIGHT, "a burst is cut at the bound, never passed on to the shadows whole");
  // The reading itself catches the bug this replaced: max_pending_requests 0 delivers nothing.
  const old = JSON.parse(JSON.stringify(cfg)) as { static_resources: { clusters: { name: string; circuit_breakers?: unknown }[] } };
  for (const c of old.static_resources.clusters) if (c.name === "shadows") c.circuit_breakers = { thresholds: [{ max_requests: 64, max_pending_requests: 0 }] };
  t.is(copiesDelivered(old, 1), 0);
  // Shadows copy nothing: no mirror path at all.
  const shadow = JSON.parse(envoyConfig({ service: spec.services[0], role: "shadow", appDir: "/opt/u", sidecarPort: 15000, mirror: { albDns: "m", host: "h" } })) as unknown;
  t.is(copiesDelivered(shadow, 1), 0);
});

test.serial("the primary store: RDS with a managed password, Multi-AZ in sync mode; user data fetches, never holds, the password", (t) => {
  const db = one(registered, "aws:rds/instance:Instance", "orders-store-host-1").inputs;
  t.is(at(db, "manageMasterUserPassword"), true);
  t.is(at(db, "multiAz"), true);
  t.is(at(db, "password"), undefined);
  const live = userData("orders-live");
  t.regex(live, /aws secretsmanager get-secret-value --region 'eu-west-1'/);
  t.notRegex(live, /postgres:\/\/[^$]*:[^$@]+@/);
});

test.serial("replicas: an RDS read replica per shadow zone, a ReplicaLag alarm each, the schema by SSM on live instances", async (t) => {
  const spec = parseStackConfig(raw);
  const svc = spec.services[0];
  const platform = createPlatform({ root: process.cwd(), stack: "aws", spec });
  const parent = new pulumi.ComponentResource("test:index:Replication", "replication-probe", {});
  platform.foundation(spec, parent);
  const before = registered.length;
  const primary = platform.store({ service: svc, host: "host-1" }, parent);
  const replicas = ["host-3", "host-4"].map((host) => ({ host, store: platform.store({ service: svc, host }, parent) }));
  platform.replication({ service: svc, primary, primaryHost: "host-1", replicas, schema: { sql: "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);", tables: ["orders"] } }, parent);
  t.true(await pulumi.isSecret(primary.url));
  await settle();
  const made = registered.slice(before);
  const dbs = byType(made, "aws:rds/instance:Instance").map((r) => r.inputs);
  t.deepEqual(dbs.filter((d) => at(d, "replicateSourceDb")).map((d) => [at(d, "replicateSourceDb"), at(d, "availabilityZone")]), [
    ["orders-store-host-1-id", "eu-west-1c"],
    ["orders-store-host-1-id", "eu-west-1d"],
  ]);
  const alarms = byType(made, "aws:cloudwatch/metricAlarm:MetricAlarm");
  t.deepEqual(alarms.map((a) => [at(a.inputs, "metricName"), at(a.inputs, "threshold")]), [["ReplicaLag", 5], ["ReplicaLag", 5]]);
  const ssm = byType(made, "aws:ssm/association:Association")[0]?.inputs;
  t.regex(str(at(ssm, "parameters.commands")), /CREATE TABLE IF NOT EXISTS orders/);
  t.deepEqual(list(at(ssm, "targets")).map((x) => at(x, "values.0")), ["orders", "live"]);
});

test.serial("hosts are zones: two hosts in one zone, or a host without one, are config errors", (t) => {
  const { parseAwsSettings, zoneOf } = require("../../../components/platforms/aws/settings") as typeof import("../../../components/platforms/aws/settings");
  const twin = { vpcId: "v", amiId: "a", zones: { a: { subnetId: "s1", availabilityZone: "z" }, b: { subnetId: "s2", availabilityZone: "z" } } };
  t.throws(() => parseAwsSettings({ "understudy:aws": JSON.stringify(twin) }), { message: /understudy:aws\.zones\.b\.availabilityZone: z is already host 'a'/ });
  const s = parseAwsSettings({ "understudy:aws": JSON.stringify({ vpcId: "v", amiId: "a" }) });
  t.throws(() => zoneOf(s, "host-9"), { message: /understudy:aws\.zones\.host-9/ });
  t.throws(() => parseAwsSettings({ "understudy:aws": "{}" }), { message: /understudy:aws\.vpcId: is required/ });
});

test.serial("the aws Observer: targets from the stack's resources, CloudWatch queries on them, folded per instance", async (t) => {
  const { targetsFromState } = require("../../../components/platforms/aws/runtime/targets") as typeof import("../../../components/platforms/aws/runtime/targets");
  const { awsObserver } = require("../../../components/platforms/aws/runtime/observer") as typeof import("../../../components/platforms/aws/runtime/observer");
  const { cloudWatchSource } = require("../../../components/platforms/aws/runtime/cloudwatch") as typeof import("../../../components/platforms/aws/runtime/cloudwatch");
  // The program's resources as `pulumi stack export` holds them (outputs a provider computes added).
  const state = registered.map((r) => ({
    type: r.type,
    urn: `urn:pulumi:aws::understudy::${r.type}::${r.name}`,
    outputs: { ...r.state, ...(r.type === "aws:lb/targetGroup:TargetGroup" ? { arnSuffix: `targetgroup/${r.name}/1` } : {}), ...(r.type === "aws:autoscaling/group:Group" ? { name: `${r.name}-asg` } : {}) },
  }));
  const targets = targetsFromState(state, Object.fromEntries(Object.entries(zones).map(([h, z]) => [h, z.availabilityZone])));
  t.is(targets.orders.loadBalancer, "app/public/1");
  t.is(targets.orders.live?.targetGroup, "targetgroup/orders-live/1");
  t.deepEqual(targets.orders.live?.zones["host-2"], { availabilityZone: "eu-west-1b", autoScalingGroup: "orders-live-asg" });
  t.deepEqual(targets.orders.shadow?.zones["host-4"], { availabilityZone: "eu-west-1d", autoScalingGroup: "orders-shadow-host-4-asg" });
  t.deepEqual(targets.orders.replicas, { "host-3": "orders-store-host-3-id", "host-4": "orders-store-host-4-id" });
  // CloudWatch, recorded: every labelled expression answers with one datapoint; the value says which metric.
  const asked: string[] = [];
  const api = {
    send: async (c: { input: { MetricDataQueries?: { Id?: string; Label?: string; Expression?: string; MetricStat?: { Metric?: { MetricName?: string } } }[] } }) => {
      const qs = c.input.MetricDataQueries ?? [];
      qs.forEach((q) => q.MetricStat && asked.push(q.MetricStat.Metric?.MetricName ?? ""));
      const value = (e: string): number => (e.startsWith("IF(") && e.includes("_h >= 1") ? 1 : e.includes("* 1000") ? 42 : e.startsWith("lag") ? 0.5 : e.includes("/ 100") ? 0.3 : 12);
      return { MetricDataResults: qs.filter((q) => q.Label).map((q) => ({ Id: q.Id, Label: q.Label, Timestamps: [new Date(1_000)], Values: [value(q.Expression ?? "")] })) };
    },
  };
  const observer = awsObserver(cloudWatchSource(api), async () => targets);
  t.throws(() => observer.loadQuery("orders"), { message: /before observe\(\)/ });
  const o = await observer.observe(parseStackConfig(raw), 5_000);
  const inst = o.observations.services.orders;
  t.deepEqual(inst.map((x) => [x.instance, x.role, x.host, x.up]), [
    ["orders-live-host-1", "live", "host-1", true],
    ["orders-live-host-2", "live", "host-2", true],
    ["orders-shadow-host-3", "shadow", "host-3", true],
    ["orders-shadow-host-4", "shadow", "host-4", true],
  ]);
  t.is(inst[0].p99Ms, 42);
  t.is(inst[0].cpu, 0.3);
  t.is(inst[2].replicationLagSec, 0.5);
  t.is(o.loads.orders, 12);
  for (const m of ["HealthyHostCount", "RequestCount", "HTTPCode_Target_5XX_Count", "CPUUtilization", "TargetResponseTime", "ReplicaLag"]) t.true(asked.includes(m), m);
  t.regex(observer.loadQuery("orders"), /"TargetGroup","Value":"targetgroup\/orders-shadow\/1"/);
});

// Last (the tests run in order): by then the replication test has declared the stream the program does not (yet).
test.serial("the generated stack passes every policy of the pack", async (t) => {
  await settle();
  t.deepEqual(policyViolations(registered, [{ name: "orders", consistency: "strong", mode: "sync", stateful: true }]), []);
});
