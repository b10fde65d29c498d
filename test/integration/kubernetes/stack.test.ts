// The kubernetes platform end to end on a real control plane (etcd, kube-apiserver with the Gateway API
// and CloudNativePG CRDs, controller manager, the real scheduler, kwok nodes; test/helpers/kubeCluster.ts)
// on ports 26600–26605, Prometheus on 26610:
// - `up` through the Automation API and through the CLI, every object accepted by the API server's
//   validation against the real CRDs; a second preview has nothing to change;
// - the scheduler (not our rendering) keeps every shadow pod off the nodes with a live pod;
// - a pod-template change rolls out to completion (the surge pod has somewhere to go);
// - the HTTPRoute keeps its mirror percent on the installed CRDs;
// - runner ticks with the real Observer reading a real Prometheus that discovers the pods through the
//   API server and labels them with the project's relabelling: a forecast rise turns mirroring up, a
//   live instance that is down is replaced by promoting a shadow, and a requested canary moves the
//   route's weights, each applied through `up` and read back from the API server;
// - a store promotion drives the CloudNativePG objects in the operator's order;
// - destroy leaves nothing in the namespace.
// kwok runs no containers and no operator runs here: standIns.ts serves the pods' /metrics (on their
// IPs, inside a network namespace: podNetwork.ts) and makes the operator's instance pods; everything
// else is the real thing.
import { ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { Change, startRollout } from "../../../automation/decide";
import { preflight, writeConfig } from "../../../automation/engine";
import { prometheusSource } from "../../../automation/metrics/prometheus";
import type { PlatformRuntime } from "../../../automation/platform/seams";
import { ApplyResult } from "../../../automation/runner/apply";
import { realClock } from "../../../automation/runner/clock";
import { loadState, saveState } from "../../../automation/runner/state";
import { RunnerContext, tick } from "../../../automation/runner/tick";
import { stackRuntime } from "../../../automation/runner/runtime";
import { annotationScrapeJob, storeScrapeJob } from "../../../components/platforms/kubernetes/metrics";
import { LABEL_HOST, LABEL_ROLE, storeClusterName, subscriptionName } from "../../../components/platforms/kubernetes/names";
import { FENCE_ANNOTATION } from "../../../components/platforms/kubernetes/runtime/promoter";
import { eventually } from "../../helpers/eventually";
import { K8S_BIN, KubeCluster, startKubeCluster } from "../../helpers/kubeCluster";
import { ROOT, testStack, TestStack } from "../../helpers/stack";
import { createPodNetwork, PodNetwork } from "./podNetwork";
import { startStandIns, StandIns } from "./standIns";

const NS = "it-k8s";
const STACK = "it-k8s";
const PROM_PORT = 26610;
const POD_CIDR = "10.246.0.0/16";
const HOSTS = ["kwok-1", "kwok-2", "kwok-3", "kwok-4"];
const run = promisify(execFile);

const services = {
  orders: {
    command: "node dist/demo/service/main.js",
    port: 18100,
    replicas: 2,
    store: { host: "kwok-1", database: "orders", schema: "CREATE TABLE IF NOT EXISTS orders (id bigserial PRIMARY KEY, total numeric NOT NULL);" },
    shadows: { count: 2, weightPercent: 0, mirrorPercent: 10 },
    replication: { mode: "sync", maxLagSeconds: 5 },
  },
};

interface Meta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface PodJson {
  metadata: Meta;
  spec: { nodeName?: string; containers: { env?: { name: string; value?: string }[] }[] };
  status: { phase?: string };
}
interface DeploymentJson {
  metadata: Meta;
  spec: { replicas: number };
  status: { updatedReplicas?: number; readyReplicas?: number; replicas?: number };
}
interface RouteJson {
  spec: { rules: { backendRefs: { name: string; weight: number }[]; filters?: { type: string; requestMirror?: { percent?: number } }[] }[] };
}

let cluster: KubeCluster;
let s: TestStack;
let standIns: StandIns | undefined;
let network: PodNetwork | undefined;
let prometheus: ChildProcess | undefined;
let runtime: PlatformRuntime;
const runnerDir = path.join(ROOT, ".understudy", "tmp", "it-k8s-runner");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { onOutput: () => undefined };

const pods = (): PodJson[] => cluster.json<{ items: PodJson[] }>(["get", "pods", "-n", NS, "-l", "understudy.io/service=orders,!cnpg.io/cluster"]).items;
const deployments = (): DeploymentJson[] => cluster.json<{ items: DeploymentJson[] }>(["get", "deployments", "-n", NS]).items;
const route = (): RouteJson => cluster.json<RouteJson>(["get", "httproute", "orders", "-n", NS]);

/** Role → hosts, from the Deployments the API server holds. */
function deployedHosts(): Record<string, string[]> {
  const out: Record<string, string[]> = { live: [], shadow: [] };
  for (const d of deployments()) out[d.metadata.labels?.[LABEL_ROLE] ?? "?"]?.push(d.metadata.labels?.[LABEL_HOST] ?? "?");
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}


/** The CLI on the project (its Pulumi.yaml runs dist/index.js) with this stack's backend and config file. */
function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(path.join(ROOT, "scripts", "pulumi"), [...args, "--stack", STACK, "--non-interactive", "--config-file", path.join(ROOT, ".understudy", "tmp", STACK, `Pulumi.${STACK}.yaml`)], {
    cwd: ROOT,
    env: { ...process.env, PULUMI_BACKEND_URL: `file://${s.backendDir}` },
    timeout: 300_000,
  });
}

async function config(): Promise<Record<string, unknown>> {
  return { ...JSON.parse((await s.stack.getAllConfig())["understudy:services"].value) } as Record<string, unknown>;
}

test.before(async () => {
  cluster = await startKubeCluster({ name: "stack-e2e", basePort: 26600, nodes: HOSTS.map((name) => ({ name })), podCidr: POD_CIDR });
  network = createPodNetwork("usk8se2e", POD_CIDR, 46);
  // The cluster starts empty every time: a state (or lock) an interrupted run left describes nothing.
  fs.rmSync(path.join(ROOT, ".understudy", "tmp", STACK), { recursive: true, force: true });
  s = await testStack(STACK, {
    "kubernetes:kubeconfig": cluster.kubeconfig,
    "understudy:platform": "kubernetes",
    "understudy:hosts": HOSTS,
    "understudy:services": services,
    "understudy:kubernetes": { namespace: NS, metrics: "annotations", prometheusUrl: `http://127.0.0.1:${PROM_PORT}` },
  });
  fs.rmSync(runnerDir, { recursive: true, force: true });
});

test.after.always(async () => {
  await standIns?.stop();
  prometheus?.kill("SIGKILL");
  try {
    if (s) await s.destroy();
  } finally {
    await cluster?.stop();
    network?.remove();
  }
});

test.serial("up through the Automation API: every object accepted by the API server; a second preview has no changes", async (t) => {
  const up = await s.stack.up(quiet);
  t.is(up.summary.result, "succeeded");
  t.deepEqual(deployedHosts(), { live: ["kwok-1", "kwok-2"], shadow: ["kwok-3", "kwok-4"] });
  for (const d of deployments()) t.is(d.status.readyReplicas, 1, `${d.metadata.name} ready`);
  const clusters = cluster.json<{ items: { metadata: Meta }[] }>(["get", "clusters.postgresql.cnpg.io", "-n", NS]).items.map((c) => c.metadata.name).sort();
  t.deepEqual(clusters, ["orders-store-kwok-1", "orders-store-kwok-3", "orders-store-kwok-4"], "the primary store and one per shadow");
  const subs = cluster.json<{ items: { spec: { name: string } }[] }>(["get", "subscriptions.postgresql.cnpg.io", "-n", NS]).items.map((x) => x.spec.name).sort();
  t.deepEqual(subs, [subscriptionName("orders", "kwok-3"), subscriptionName("orders", "kwok-4")]);
  const jobs = cluster.json<{ items: { status: { succeeded?: number } }[] }>(["get", "jobs", "-n", NS]).items;
  t.true(jobs.length === 3 && jobs.every((j) => j.status.succeeded === 1), "the schema Jobs ran to completion");
  const preview = await s.stack.preview(quiet);
  t.deepEqual(Object.keys(preview.changeSummary).filter((k) => k !== "same"), [], JSON.stringify(preview.changeSummary));
});

test.serial("the scheduler keeps every shadow pod off the nodes that run a live pod; impossible placements fail preview", async (t) => {
  const all = pods();
  t.is(all.length, 4);
  const nodes = (role: string) => all.filter((p) => p.metadata.labels?.[LABEL_ROLE] === role).map((p) => p.spec.nodeName as string);
  const live = nodes("live");
  const shadow = nodes("shadow");
  t.is(new Set(live).size, 2, "live pods on two nodes");
  t.is(new Set(shadow).size, 2, "shadow pods on two nodes");
  for (const n of shadow) t.false(live.includes(n), `shadow on ${n}, a node with a live pod (live: ${live.join(", ")})`);
  // Three shadows + two live instances need five hosts: the CLI's preview refuses with the key and the rule.
  const before = await config();
  await writeConfig(s.stack, { "understudy:services": { orders: { ...services.orders, shadows: { ...services.orders.shadows, count: 3 } } } });
  try {
    const e = await t.throwsAsync(cli("preview"));
    t.regex(`${(e as { stdout?: string }).stdout}${(e as { stderr?: string }).stderr}`, /understudy:services\.orders\.shadows\.count: 3 shadows need 3 hosts without a live instance of 'orders', but only 2 exist/);
  } finally {
    await writeConfig(s.stack, { "understudy:services": before });
  }
});

test.serial("a pod-template change rolls out to completion through the CLI, and the HTTPRoute keeps its mirror percent", async (t) => {
  const svc = await config();
  await writeConfig(s.stack, { "understudy:services": { ...svc, orders: { ...(svc.orders as object), env: { FEATURE_FLAG: "on" } } } });
  const started = Date.now();
  await cli("up", "--yes", "--skip-preview");
  const rolloutMs = Date.now() - started;
  t.log(`rollout of 4 Deployments through the CLI: ${rolloutMs} ms`);
  const all = pods().filter((p) => p.status.phase === "Running");
  t.is(all.length, 4, "one pod per instance after the rollout (no surge pod left behind)");
  for (const p of all) t.is(p.spec.containers[0].env?.find((e) => e.name === "FEATURE_FLAG")?.value, "on", `${p.metadata.name} runs the new template`);
  for (const d of deployments()) t.is(d.status.updatedReplicas, 1, `${d.metadata.name} fully updated`);
  const preview = await s.stack.preview(quiet);
  t.deepEqual(Object.keys(preview.changeSummary).filter((k) => k !== "same"), [], "the CLI's up and the Automation API agree");

  const rule = route().spec.rules[0];
  t.deepEqual(rule.backendRefs.map((b) => [b.name, b.weight]), [["orders-live", 100], ["orders-shadow", 0]]);
  t.is(rule.filters?.find((f) => f.type === "RequestMirror")?.requestMirror?.percent, 10, "percent survives the API server's pruning (Gateway API ≥ v1.3 standard)");
});

test.serial("runner ticks on the real Observer: mirroring ahead of a forecast rise, a down live instance replaced by a shadow, a canary moving the route's weights", async (t) => {
  standIns = await startStandIns(cluster, NS, network as PodNetwork, (h) => subscriptionName("orders", h));
  const promDir = path.join(cluster.dir, "prometheus");
  fs.rmSync(promDir, { recursive: true, force: true });
  fs.mkdirSync(promDir, { recursive: true });
  const outside = { apiServer: cluster.server, kubeconfigFile: cluster.kubeconfig };
  fs.writeFileSync(
    path.join(promDir, "prometheus.yml"),
    JSON.stringify({ global: { scrape_interval: "1s", scrape_timeout: "1s" }, scrape_configs: [annotationScrapeJob(NS, outside), storeScrapeJob(NS, outside)] }),
  );
  const log = fs.openSync(path.join(cluster.dir, "logs", "prometheus.log"), "w");
  // Built by scripts/k8s-toolchain.sh: Debian's Prometheus has no Kubernetes service discovery.
  prometheus = spawn(path.join(K8S_BIN, "prometheus"), [`--config.file=${path.join(promDir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(promDir, "data")}`, `--web.listen-address=127.0.0.1:${PROM_PORT}`], { stdio: ["ignore", log, log] });
  const source = prometheusSource(`http://127.0.0.1:${PROM_PORT}`);
  runtime = await stackRuntime(ROOT, s.stack, source);
  // Every instance observed with the labels the relabelling gives it, and each shadow's lag.
  const spec = await preflight(s.stack);
  await allObserved(4);

  const ctx: RunnerContext = {
    root: ROOT,
    stack: s.stack,
    dir: runnerDir,
    metrics: source,
    runtime,
    clock: realClock,
    dryRun: false,
    forecast: { kind: "holt-winters", refitMs: 3600_000, seed: 1 },
    history: () => [],
  };

  // Mirroring ahead of a forecast rise: five days in which the load more than doubled five minutes
  // after this time of day (Holt-Winters learns it); the route's mirror percent follows. No room
  // for more instances (4 hosts in use), so mirroring is the whole answer.
  const r0 = await tick({ ...ctx, dir: `${runnerDir}-mirroring`, history: () => dailyRise(Date.now(), 80, 180), policyOverrides: { maxReplicas: 2, maxShadows: 2 } });
  const mirror = (r0.changes as Change[]).find((c) => c.kind === "setMirror") as { to: number } | undefined;
  t.truthy(mirror, `${JSON.stringify(r0.forecasts)}\n${r0.reasons.join("\n")}`);
  t.true((r0.apply as ApplyResult | undefined)?.applied, JSON.stringify(r0.apply));
  t.is(route().spec.rules[0].filters?.find((f) => f.type === "RequestMirror")?.requestMirror?.percent, (mirror as { to: number }).to, "the mirror percent as the API server holds it");

  standIns.setLoad("orders-live-kwok-2", { rps: 0, cpu: 0, up: false });
  await eventually("kwok-2 seen down", async () => ((await runtime.observer.observe(spec, Date.now())).observations.services.orders.find((o) => o.instance === "orders-live-kwok-2")?.up === false ? true : undefined), 30_000);
  const r1 = await tick(ctx);
  const changes1 = r1.changes as Change[];
  const promote = changes1.find((c) => c.kind === "promote");
  t.truthy(promote, r1.reasons.join("\n"));
  t.true(changes1.some((c) => c.kind === "drain" && c.host === "kwok-2"), r1.reasons.join("\n"));
  t.true((r1.apply as ApplyResult | undefined)?.applied, JSON.stringify(r1.apply));
  const promoted = (promote as { host: string }).host;
  const other = ["kwok-3", "kwok-4"].find((h) => h !== promoted) as string;
  // Read back from the API server: kwok-2's live instance is gone, the shadow's host now runs a live one.
  t.deepEqual(deployedHosts(), { live: ["kwok-1", promoted].sort(), shadow: [other] });
  t.deepEqual(route().spec.rules[0].backendRefs.map((b) => b.weight), [100, 0]);

  // A canary of the remaining shadow: the next tick moves the route's first step.
  standIns.setLoad("orders-live-kwok-2", undefined);
  // The promoted instance's new pod is discovered and scraped, the replaced pods' series have gone stale.
  await allObserved(3);
  const saved = loadState(runnerDir);
  saveState(runnerDir, { ...saved, decide: startRollout(saved.decide as NonNullable<typeof saved.decide>, "orders") });
  const r2 = await tick(ctx);
  const weights = (r2.changes as Change[]).find((c) => c.kind === "setWeights") as { to: number } | undefined;
  t.truthy(weights, r2.reasons.join("\n"));
  t.true((r2.apply as ApplyResult | undefined)?.applied, JSON.stringify(r2.apply));
  const to = (weights as { to: number }).to;
  t.true(to > 0 && to < 100);
  t.deepEqual(route().spec.rules[0].backendRefs.map((b) => [b.name, b.weight]), [["orders-live", 100 - to], ["orders-shadow", to]], "the weights as the API server holds them");
});

/** Five days of 5-minute load at `base`, rising to `peak` for an hour from five minutes after now's time of day. */
function dailyRise(now: number, base: number, peak: number): { t: number; v: number }[] {
  const points: { t: number; v: number }[] = [];
  for (let t = now - 5 * 86_400_000; t < now; t += 300_000) {
    const sinceTimeOfDay = (((t - now) % 86_400_000) + 86_400_000) % 86_400_000;
    points.push({ t, v: sinceTimeOfDay >= 300_000 && sinceTimeOfDay < 3_900_000 ? peak : base });
  }
  return points;
}

/** Waits until the Observer sees exactly the `n` instances the config names, all up, with rates, and every shadow's lag. */
async function allObserved(n: number): Promise<void> {
  await eventually(`${n} instances observed up with rates and lag`, async () => {
    const spec = await preflight(s.stack);
    const o = (await runtime.observer.observe(spec, Date.now())).observations.services.orders;
    const ready = o.length === n && o.every((i) => i.up === true && i.requestRate !== undefined && i.cpu !== undefined) && o.filter((i) => i.role === "shadow").every((i) => i.replicationLagSec !== undefined);
    return ready ? true : undefined;
  }, 120_000);
}

interface WatchEvent {
  /** The object's resourceVersion: one etcd's revision, so a total order of every write across kinds. */
  revision: number;
  kind: string;
  type: string;
  name: string;
  annotations?: Record<string, string>;
}

/** `kubectl get -w` on one resource type, every event with the revision it was written at. */
function watch(resource: string, into: WatchEvent[]): ChildProcess {
  const p = spawn(path.join(K8S_BIN, "kubectl"), ["--kubeconfig", cluster.kubeconfig, "get", resource, "-n", NS, "-w", "--output-watch-events", "-o", "json"]);
  let pending = "";
  let lines: string[] = [];
  const event = (text: string): void => {
    const ev = JSON.parse(text) as { type: string; object: { kind: string; metadata: Meta & { resourceVersion: string } } };
    into.push({ revision: Number(ev.object.metadata.resourceVersion), kind: ev.object.kind, type: ev.type, name: ev.object.metadata.name, annotations: ev.object.metadata.annotations });
  };
  p.stdout.on("data", (d: Buffer) => {
    const parts = (pending + d.toString()).split("\n");
    pending = parts.pop() ?? "";
    // One event per line, or one pretty-printed object per event that ends with "}" at column 0.
    for (const line of parts) {
      if (lines.length === 0 && line.startsWith("{") && line.endsWith("}")) event(line);
      else if (line === "}") {
        event([...lines, line].join("\n"));
        lines = [];
      } else if (line !== "") lines.push(line);
    }
  });
  return p;
}

test.serial("a store promotion drives the CloudNativePG objects in the operator's order", async (t) => {
  const spec = await preflight(s.stack);
  const shadowHost = ((await config()) as { orders: { shadows: { hosts: string[] } } }).orders.shadows.hosts[0];
  const from = storeClusterName(spec.services[0], "kwok-1");
  const to = storeClusterName(spec.services[0], shadowHost);
  const events: WatchEvent[] = [];
  const watchers = ["clusters.postgresql.cnpg.io", "subscriptions.postgresql.cnpg.io", "publications.postgresql.cnpg.io", "jobs"].map((r) => watch(r, events));
  // Each watch first lists what exists (ADDED): once every kind has spoken, no later change is missed.
  await eventually("the watches listing", () => (["Cluster", "Subscription", "Publication", "Job"].every((k) => events.some((e) => e.kind === k)) ? true : undefined), 60_000);
  const initial = events.length;
  try {
    const report = await runtime.promoter.promote({ service: "orders", to: shadowHost });
    t.is(report.to, shadowHost);
    t.is(report.rpo.lostWrites, 0, report.rpo.note);
    await sleep(2000);
  } finally {
    for (const w of watchers) w.kill();
  }
  const after = events.slice(initial);
  // Events of different kinds arrive on different watches, so arrival order means little; the API
  // server's revisions (one etcd here) give the order the writes happened in.
  after.sort((a, b) => a.revision - b.revision);
  const first = (f: (e: WatchEvent) => boolean, what: string): number => {
    const e = after.find(f);
    if (!e) throw new Error(`${what} never seen: ${after.map((x) => `${x.type} ${x.kind}/${x.name}`).join(", ")}`);
    return e.revision;
  };
  const fenced = first((e) => e.kind === "Cluster" && e.name === from && e.annotations?.[FENCE_ANNOTATION] === '["*"]', "the old primary fenced");
  const detached = first((e) => e.kind === "Subscription" && e.name === `${to}-sub` && e.type === "DELETED", "the promoted store's Subscription deleted");
  const sequences = first((e) => e.kind === "Job" && e.type === "ADDED" && e.name.startsWith(`orders-sequences-${shadowHost}`), "the sequences Job");
  const retired = first((e) => e.kind === "Cluster" && e.name === from && e.type === "DELETED", "the old primary's Cluster removed by the repointing up");
  t.log(after.map((e) => `${e.type} ${e.kind}/${e.name}`).join("\n"));
  t.true(fenced < detached && detached < sequences && sequences < retired, `order: fence ${fenced}, detach ${detached}, sequences ${sequences}, old primary retired ${retired}`);
  // Repointed: the live pods read the new primary's generated credentials; any Publication lives there.
  for (const d of cluster.json<{ items: { metadata: Meta; spec: { template: { spec: { containers: { env: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[] }[] } } } }[] }>(["get", "deployments", "-n", NS, "-l", "understudy.io/role=live"]).items) {
    t.is(d.spec.template.spec.containers[0].env.find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef?.name, `${to}-app`, d.metadata.name);
  }
  const pubs = cluster.json<{ items: { spec: { cluster: { name: string } } }[] }>(["get", "publications.postgresql.cnpg.io", "-n", NS]).items;
  t.true(pubs.every((p) => p.spec.cluster.name === to), JSON.stringify(pubs.map((p) => p.spec.cluster.name)));
  t.is(((await config()) as { orders: { store: { host: string } } }).orders.store.host, shadowHost, "the stack config names the new primary");
});

test.serial("destroy leaves nothing in the namespace", async (t) => {
  await standIns?.stop();
  standIns = undefined;
  cluster.kubectl(["delete", "pods", "-n", NS, "-l", "cnpg.io/cluster", "--wait=false"]);
  await s.stack.destroy(quiet);
  const left = await eventually("the namespace emptied", () => {
    const out = cluster.kubectl(["get", "deployments,services,pods,jobs,configmaps,poddisruptionbudgets,httproutes,gateways,clusters.postgresql.cnpg.io,subscriptions.postgresql.cnpg.io,publications.postgresql.cnpg.io", "-n", NS, "-o", "name"]).trim();
    return out.split("\n").filter((l) => l !== "" && !l.startsWith("configmap/kube-root-ca.crt")).length === 0 ? out : undefined;
  }, 60_000);
  t.pass(left);
});
