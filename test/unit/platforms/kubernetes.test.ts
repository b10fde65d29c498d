// The kubernetes platform under Pulumi mocks, from the shared stack config: placement, routing,
// probes, budgets, metrics, CloudNativePG stores and their replication, secrets.
import * as pulumi from "@pulumi/pulumi";
import test from "ava";
import { policyViolations, at, byType, list, one, recordResources, Registered, settle, stackConfig, str } from "./mockStack";

const registered = recordResources("k8s");
const raw = stackConfig("kubernetes", {
  namespace: "shop",
  topologyKey: "topology.kubernetes.io/zone",
  gateway: { domain: "shop.example.com", public: true, tlsSecretName: "shop-tls" },
});
pulumi.runtime.setAllConfig(raw);

// Imported after setMocks so that the program registers against the mock monitor.
const { understudyProgram } = require("../../../components/program") as typeof import("../../../components/program");
const { createPlatform } = require("../../../components/platforms") as typeof import("../../../components/platforms");
const { parseStackConfig } = require("../../../components/config") as typeof import("../../../components/config");

const CR = (rs: Registered[], kind: string) => rs.filter((r) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`));
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
/** Label keys hold dots, so they are read from the labels object rather than by path. */
const labelsOf = (inputs: unknown): Record<string, unknown> => (at(inputs, "metadata.labels") ?? {}) as Record<string, unknown>;

test.before(async () => {
  understudyProgram(process.cwd(), raw);
  await settle();
});

test.serial("one Deployment per instance; live and shadow refuse each other's zone; rollouts surge on the pool's own zones", (t) => {
  const deployments = byType(registered, DEPLOYMENT);
  t.deepEqual(deployments.map((d) => d.name).sort(), ["orders-live-host-1", "orders-live-host-2", "orders-shadow-host-3", "orders-shadow-host-4"]);
  for (const d of deployments) {
    t.is(at(d.inputs, "spec.replicas"), 1);
    const role = labelsOf(d.inputs)["understudy.io/role"];
    const pod = at(d.inputs, "spec.template.spec");
    t.deepEqual(at(pod, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.0"), {
      labelSelector: { matchLabels: { "understudy.io/service": "orders", "understudy.io/role": role === "live" ? "shadow" : "live" } },
      topologyKey: "topology.kubernetes.io/zone",
    });
    // A hard spread would count the other role's zones as empty domains and strand the surge pod.
    t.is(at(pod, "topologySpreadConstraints.0.topologyKey"), "topology.kubernetes.io/zone");
    t.is(at(pod, "topologySpreadConstraints.0.whenUnsatisfiable"), "ScheduleAnyway");
    t.deepEqual(at(d.inputs, "spec.strategy.rollingUpdate"), { maxSurge: 1, maxUnavailable: 0 });
    // The pod names its config host and instance: what the runtime observes and acts on.
    const podLabels = (at(d.inputs, "spec.template.metadata.labels") ?? {}) as Record<string, unknown>;
    const host = d.name.replace(/^orders-(live|shadow)-/, "");
    t.is(podLabels["understudy.io/host"], host);
    t.is(podLabels["understudy.io/instance"], d.name);
  }
});

test.serial("pods: image, command as args, probes on the health path, role, instance and host in the environment", (t) => {
  const c = at(one(registered, DEPLOYMENT, "orders-live-host-1").inputs, "spec.template.spec.containers.0");
  t.is(at(c, "image"), "understudy/orders:latest");
  t.deepEqual(at(c, "args"), ["node", "dist/demo/service/main.js"]);
  t.is(at(c, "readinessProbe.httpGet.path"), "/healthz");
  t.is(at(c, "livenessProbe.httpGet.path"), "/healthz");
  const env = new Map(list(at(c, "env")).map((e) => [str(at(e, "name")), e]));
  t.is(at(env.get("UNDERSTUDY_ROLE"), "value"), "live");
  t.is(at(env.get("UNDERSTUDY_INSTANCE"), "value"), "orders-live-host-1");
  t.is(at(env.get("UNDERSTUDY_HOST"), "value"), "host-1");
  // The store's credentials come from the operator's Secret, never as a literal.
  t.deepEqual(at(env.get("DATABASE_URL"), "valueFrom"), { secretKeyRef: { name: "orders-store-host-1-app", key: "uri" } });
});

test.serial("HTTPRoute: weighted backendRefs and a RequestMirror filter with the mirror percent", (t) => {
  const route = CR(registered, "HTTPRoute")[0].inputs;
  t.deepEqual(at(route, "spec.hostnames"), ["orders.shop.example.com"]);
  t.deepEqual(list(at(route, "spec.rules.0.backendRefs")).map((b) => [at(b, "name"), at(b, "weight")]), [["orders-live", 90], ["orders-shadow", 10]]);
  t.deepEqual(at(route, "spec.rules.0.filters"), [{ type: "RequestMirror", requestMirror: { backendRef: { kind: "Service", name: "orders-shadow", port: 18100 }, percent: 25 } }]);
});

test.serial("the public Gateway terminates TLS only", (t) => {
  const gw = CR(registered, "Gateway")[0].inputs;
  t.is(labelsOf(gw)["understudy.io/exposure"], "public");
  t.deepEqual(list(at(gw, "spec.listeners")).map((l) => [at(l, "protocol"), at(l, "port"), at(l, "tls.certificateRefs.0.name")]), [["HTTPS", 443, "shop-tls"]]);
});

test.serial("a Service, a PodDisruptionBudget and a PodMonitor per pool", (t) => {
  t.deepEqual(byType(registered, "kubernetes:core/v1:Service").map((r) => r.name).sort(), ["orders-live", "orders-shadow"]);
  t.deepEqual(byType(registered, "kubernetes:policy/v1:PodDisruptionBudget").map((r) => at(r.inputs, "spec.maxUnavailable")), [1, 1]);
  t.is(CR(registered, "PodMonitor").length, 2);
});

test.serial("the store is a CloudNativePG Cluster on its host, its URL a secret without the password", async (t) => {
  const cluster = CR(registered, "Cluster").find((r) => r.name === "orders-store-host-1");
  t.is(at(cluster?.inputs, "spec.bootstrap.initdb.database"), "orders");
  const spec = parseStackConfig(raw);
  const platform = createPlatform({ root: process.cwd(), stack: "k8s", spec });
  const parent = new pulumi.ComponentResource("test:index:Probe", "store-probe", {});
  platform.foundation(spec, parent);
  const store = platform.store({ service: spec.services[0], host: "host-1" }, parent);
  t.true(await pulumi.isSecret(store.url));
  const url = await new Promise<string>((r) => store.url.apply(r));
  t.notRegex(url, /:\/\/[^@/]*:[^@/]*@/);
});

test.serial("replication: schema Jobs, a Publication of the schema's tables, a Subscription per replica, sync last", async (t) => {
  const spec = parseStackConfig(raw);
  const svc = spec.services[0];
  const platform = createPlatform({ root: process.cwd(), stack: "k8s", spec });
  const parent = new pulumi.ComponentResource("test:index:Replication", "replication-probe", {});
  platform.foundation(spec, parent);
  const primary = platform.store({ service: svc, host: "host-1" }, parent);
  const replicas = ["host-3", "host-4"].map((host) => ({ host, store: platform.store({ service: svc, host }, parent) }));
  const before = registered.length;
  platform.replication({ service: svc, primary, primaryHost: "host-1", replicas, schema: { sql: svc.store?.schema ?? "", tables: ["orders"] } }, parent);
  await settle();
  const made = registered.slice(before);
  t.deepEqual(byType(made, "kubernetes:batch/v1:Job").map((r) => r.name).sort(), ["orders-schema-host-1", "orders-schema-host-3", "orders-schema-host-4"]);
  t.deepEqual(at(CR(made, "Publication")[0].inputs, "spec.target"), { objects: [{ table: { schema: "public", name: "orders" } }] });
  t.deepEqual(
    CR(made, "Subscription").map((r) => [at(r.inputs, "spec.cluster.name"), at(r.inputs, "spec.name"), at(r.inputs, "spec.publicationName")]),
    [
      ["orders-store-host-3", "orders_sub_host_3", "orders_pub"],
      ["orders-store-host-4", "orders_sub_host_4", "orders_pub"],
    ],
  );
  const named = (n: string) => made.find((r) => r.name === n)?.inputs;
  t.deepEqual(at(named("orders-store-host-1-synchronous"), "spec.postgresql.synchronous"), {
    method: "any",
    number: 1,
    dataDurability: "required",
    standbyNamesPost: ["orders_sub_host_3", "orders_sub_host_4"],
  });
  t.is(at(named("orders-store-host-1-publisher"), "spec.managed.roles.0.replication"), true);
  // The subscriber reads the publisher's password from its Secret, never from the program.
  t.deepEqual(at(named("orders-store-host-3-source"), "spec.externalClusters.0.password"), { name: "orders-store-host-1-app", key: "password" });
});

test.serial("a bad kubernetes setting names the key and the rule", (t) => {
  const { parseKubernetesSettings } = require("../../../components/platforms/kubernetes/settings") as typeof import("../../../components/platforms/kubernetes/settings");
  t.throws(() => parseKubernetesSettings({ "understudy:kubernetes": JSON.stringify({ metrics: "statsd" }) }), { message: /understudy:kubernetes\.metrics: must be podMonitor/ });
  t.throws(() => parseKubernetesSettings({ "understudy:kubernetes": JSON.stringify({ nodes: 3 }) }), { message: /understudy:kubernetes\.nodes: unknown key/ });
});

// Last (the tests run in order): by then the replication test has declared the stream the program does not (yet).
test.serial("the generated stack passes every policy of the pack", async (t) => {
  await settle();
  t.deepEqual(policyViolations(registered, [{ name: "orders", consistency: "strong", mode: "sync", stateful: true }]), []);
});
