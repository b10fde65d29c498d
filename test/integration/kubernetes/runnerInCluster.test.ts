// The runner in a cluster, against a real control plane (etcd, kube-apiserver with RBAC, controller
// manager, scheduler, kwok nodes; test/helpers/kubeCluster.ts) on ports 27200–27205:
// - deploy/runner's program, through the Pulumi engine and the real Kubernetes provider, creates the
//   runner's objects from a stack's `understudy:kubernetes.runner` settings;
// - the real RBAC authorizer allows the runner's service account what it needs and denies the rest;
// - the Lease lock holds against a second contender, is handed over on release, and is taken over
//   once a holder killed with SIGKILL has let it run out.
// kwok runs no containers: the runner pod itself is not started here (see README).
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import test from "ava";
import { acquireLease, ApiAccess, LeaseHeldError } from "../../../automation/runner/lease";
import { takeLock } from "../../../automation/runner/lock";
import { leaseName } from "../../../components/platforms/kubernetes/runner";
import { runnerStack } from "../../../deploy/runner/program";
import { KubeCluster, startKubeCluster } from "../../helpers/kubeCluster";
import { ROOT } from "../../helpers/stack";

const NS = "it-runner";
const STACK = "it-runner-app";
const SA = `system:serviceaccount:${NS}:understudy-runner`;
const tmp = path.join(ROOT, ".understudy", "tmp");
const configDir = path.join(tmp, "it-runner-config");
const deployDir = path.join(tmp, "it-runner-deploy");

const appConfig = (kubeconfig: string): Record<string, unknown> => ({
  "kubernetes:kubeconfig": kubeconfig,
  "understudy:platform": "kubernetes",
  "understudy:hosts": ["kwok-1", "kwok-2", "kwok-3"],
  "understudy:services": {
    orders: {
      command: "node dist/demo/service/main.js",
      port: 18100,
      replicas: 2,
      store: { host: "kwok-1", database: "orders", schema: "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, total numeric);" },
      shadows: { count: 1, weightPercent: 0, mirrorPercent: 10 },
      replication: { mode: "async", maxLagSeconds: 5 },
    },
  },
  "understudy:kubernetes": {
    namespace: NS,
    metrics: "annotations",
    runner: { image: "understudy/runner:test", volume: { size: "1Gi", storageClass: "it-manual" }, leaseSeconds: 15 },
  },
});

let cluster: KubeCluster;
let access: ApiAccess;
const children: ChildProcess[] = [];

const canI = (args: string[]): boolean => {
  try {
    return cluster.kubectl(["auth", "can-i", ...args, `--as=${SA}`]).trim() === "yes";
  } catch (e) {
    // `can-i` answers "no" with exit status 1 and nothing on stderr; anything else is an error.
    if (/\berror\b/i.test((e as Error).message.replace(/^kubectl [^:]*: Command failed: .*$/m, ""))) throw e;
    return false;
  }
};

test.before(async () => {
  cluster = await startKubeCluster({ name: "runner-incluster", basePort: 27200, nodes: [{ name: "kwok-1" }, { name: "kwok-2" }, { name: "kwok-3" }] });
  for (const d of [configDir, deployDir, path.join(tmp, STACK)]) fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(configDir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(configDir, "Pulumi.yaml"));
  // YAML takes JSON as it is.
  fs.writeFileSync(path.join(configDir, `Pulumi.${STACK}.yaml`), JSON.stringify({ config: appConfig(cluster.kubeconfig) }, null, 2));
  // No storage provisioner here: a volume the claim's class binds to, as an admin would provide.
  cluster.kubectl(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "it-runner-state" },
    spec: { storageClassName: "it-manual", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: path.join(cluster.dir, "runner-volume") } },
  }));
});

test.after.always(async () => {
  for (const c of children) c.kill("SIGKILL");
  await cluster?.stop();
});

test.serial("deploy/runner creates the runner's objects through the Pulumi engine and the real provider", async (t) => {
  const stack = await runnerStack({ root: ROOT, stack: STACK, configDir, workDir: deployDir, stateDir: path.join(deployDir, "state") });
  const out = await stack.up({ onOutput: () => undefined });
  t.is(out.summary.result, "succeeded");
  t.is(out.outputs.workload.value, "cronjob/understudy-runner");
  const cron = cluster.json<{ spec: { concurrencyPolicy: string; schedule: string; jobTemplate: { spec: { template: { spec: { serviceAccountName: string; containers: { args: string[] }[] } } } } } }>(["get", "cronjob", "understudy-runner", "-n", NS]);
  t.is(cron.spec.concurrencyPolicy, "Forbid");
  const pod = cron.spec.jobTemplate.spec.template.spec;
  t.is(pod.serviceAccountName, "understudy-runner");
  t.true(pod.containers[0].args.join(" ").includes(`--lock lease --lease ${leaseName(STACK)}`));
  // The claim bound to the admin's volume: state survives the runner's pods.
  const pvc = cluster.json<{ status: { phase: string } }>(["get", "pvc", "understudy-runner-state", "-n", NS]);
  t.is(pvc.status.phase, "Bound");
  // The seed is the stack's config without the admin's way into the cluster.
  const seed = cluster.json<{ data: Record<string, string> }>(["get", "configmap", "understudy-runner-seed", "-n", NS]);
  const seeded = JSON.parse(seed.data[`Pulumi.${STACK}.yaml`]) as { config: Record<string, unknown> };
  t.deepEqual(Object.keys(seeded.config).sort(), ["understudy:hosts", "understudy:kubernetes", "understudy:platform", "understudy:services"]);
  t.false(seed.data["Pulumi.yaml"].includes("main:"));
  // The passphrase Secret exists; its value never appears in the runner stack's state in clear.
  cluster.kubectl(["get", "secret", "understudy-runner-passphrase", "-n", NS]);
  const state = JSON.stringify((await stack.exportStack()).deployment);
  const phrase = fs.readFileSync(path.join(ROOT, ".understudy", "passphrase"), "utf8").trim();
  t.false(state.includes(phrase), "the passphrase is in the runner stack's state in clear");
  t.is((await stack.preview({ onOutput: () => undefined })).changeSummary.update ?? 0, 0);
});

test.serial("the real RBAC authorizer: what the runner needs is allowed, the rest denied", (t) => {
  const allowed = [
    ["create", "deployments.apps", "-n", NS],
    ["patch", "httproutes.gateway.networking.k8s.io", "-n", NS],
    ["delete", "clusters.postgresql.cnpg.io", "-n", NS],
    ["create", "subscriptions.postgresql.cnpg.io", "-n", NS],
    ["create", "jobs.batch", "-n", NS],
    ["list", "pods", "-n", NS],
    ["list", "nodes"],
    ["create", "leases.coordination.k8s.io", "-n", NS],
    ["update", `leases.coordination.k8s.io/${leaseName(STACK)}`, "-n", NS],
    ["patch", `namespaces/${NS}`],
  ];
  const denied = [
    ["get", "secrets", "-n", NS],
    ["get", "secrets", "-n", "kube-system"],
    ["list", "secrets", "--all-namespaces"],
    ["create", "deployments.apps", "-n", "default"],
    ["list", "pods", "-n", "kube-system"],
    ["patch", "nodes"],
    ["delete", "nodes"],
    ["create", "namespaces"],
    ["delete", `namespaces/${NS}`],
    ["patch", "namespaces/default"],
    ["create", "roles.rbac.authorization.k8s.io", "-n", NS],
    ["patch", `roles.rbac.authorization.k8s.io/understudy-runner`, "-n", NS],
    ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
    ["update", "leases.coordination.k8s.io/kube-scheduler", "-n", NS],
    ["create", "pods", "-n", NS],
    ["create", "pods/exec", "-n", NS],
    ["create", "customresourcedefinitions.apiextensions.k8s.io"],
  ];
  for (const a of allowed) t.true(canI(a), `should be allowed: ${a.join(" ")}`);
  for (const d of denied) t.false(canI(d), `should be denied: ${d.join(" ")}`);
});

test.serial("the Lease lock: one holder, handed over on release", async (t) => {
  const token = cluster.kubectl(["create", "token", "understudy-runner", "-n", NS, "--duration", "1h"]).trim();
  access = { server: cluster.server, token, ca: fs.readFileSync(path.join(cluster.dir, "pki", "ca.crt"), "utf8"), namespace: NS };
  const name = leaseName(STACK);
  const a = await acquireLease({ access, name, holder: "runner-a", durationSec: 15 });
  const err = await t.throwsAsync(acquireLease({ access, name, holder: "runner-b", durationSec: 15 }), { instanceOf: LeaseHeldError });
  t.regex(err?.message ?? "", /another runner \(runner-a\) holds the lease/);
  // The CLI's lock selection goes the same way.
  await t.throwsAsync(takeLock({ kind: "lease", stack: STACK, dir: tmp, lease: name, access }), { message: /runner-a/ });
  await a.release();
  const b = await acquireLease({ access, name, holder: "runner-b", durationSec: 15 });
  const lease = cluster.json<{ spec: { holderIdentity: string; leaseTransitions: number } }>(["get", "lease", name, "-n", NS]);
  t.is(lease.spec.holderIdentity, "runner-b");
  await b.release();
  t.is(cluster.json<{ spec: { holderIdentity?: string } }>(["get", "lease", name, "-n", NS]).spec.holderIdentity, undefined);
});

test.serial("the Lease lock: renewed while held, taken over only after a killed holder's lease ran out", async (t) => {
  const name = leaseName(STACK);
  const duration = 3;
  const child = spawn(process.execPath, [path.join(__dirname, "leaseHolder.js"), JSON.stringify(access), name, "runner-dies", String(duration)], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => (d.toString().includes("held") ? resolve() : reject(new Error(d.toString()))));
    child.on("exit", (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  type LeaseView = { spec: { holderIdentity: string; leaseTransitions: number; renewTime: string } };
  const held = cluster.json<LeaseView>(["get", "lease", name, "-n", NS]);
  t.is(held.spec.holderIdentity, "runner-dies");
  // Alive, it renews: after more than its duration it still holds the lease.
  await new Promise((r) => setTimeout(r, (duration + 1) * 1000));
  await t.throwsAsync(acquireLease({ access, name, holder: "runner-next", durationSec: duration }), { instanceOf: LeaseHeldError });
  child.kill("SIGKILL");
  const killedAt = Date.now();
  await t.throwsAsync(acquireLease({ access, name, holder: "runner-next", durationSec: duration }), { instanceOf: LeaseHeldError });
  let next;
  while (!next && Date.now() - killedAt < 20_000) {
    next = await acquireLease({ access, name, holder: "runner-next", durationSec: duration }).catch((e: unknown) => {
      if (e instanceof LeaseHeldError) return undefined;
      throw e;
    });
    if (!next) await new Promise((r) => setTimeout(r, 250));
  }
  t.truthy(next, "the dead holder's lease was never taken over");
  const waited = Date.now() - killedAt;
  t.true(waited >= 1000 && waited < (duration + 3) * 1000, `taken over after ${waited} ms`);
  const lease = cluster.json<LeaseView>(["get", "lease", name, "-n", NS]);
  t.is(lease.spec.holderIdentity, "runner-next");
  t.is(lease.spec.leaseTransitions, held.spec.leaseTransitions + 1);
  await next?.release();
});

test.serial("another identity without the runner's role is refused the lease, with what it lacks", async (t) => {
  const token = cluster.kubectl(["create", "token", "default", "-n", NS, "--duration", "10m"]).trim();
  await t.throwsAsync(acquireLease({ access: { ...access, token }, name: leaseName(STACK), holder: "intruder" }), {
    message: /answered 403.*needs get\/create\/update on leases in namespace it-runner/s,
  });
});
