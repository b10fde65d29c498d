// The runner in a cluster under Pulumi mocks: its service account's rights cover every kind the
// kubernetes platform declares and nothing more (no Secrets, no RBAC, no cluster-wide writes), a
// CronJob that never overlaps itself or a Deployment that never runs two runners, the lease lock
// on the command line, the passphrase as a secret, the state on a volume; and its settings'
// validation. The same rules are checked against a real API server in
// test/integration/kubernetes/runnerInCluster.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import test from "ava";
import { at, byType, isSecretInput, list, recordResources, Registered, settle, stackConfig, str } from "./mockStack";

const registered = recordResources("k8s-runner");
const raw = stackConfig("kubernetes", { namespace: "shop", metrics: "annotations" });
pulumi.runtime.setAllConfig(raw);

const { understudyProgram } = require("../../../components/program") as typeof import("../../../components/program");
const { Runner } = require("../../../components/platforms/kubernetes/runner") as typeof import("../../../components/platforms/kubernetes/runner");
const { DECLARED_KINDS, NAMESPACE_KIND } = require("../../../components/platforms/kubernetes/runnerRbac") as typeof import("../../../components/platforms/kubernetes/runnerRbac");
const { parseKubernetesSettings } = require("../../../components/platforms/kubernetes/settings") as typeof import("../../../components/platforms/kubernetes/settings");
const { seedWorkDir } = require("../../../automation/runner/seed") as typeof import("../../../automation/runner/seed");
const { engineEnv, passphrase } = require("../../../automation/engine") as typeof import("../../../automation/engine");

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
const rulesOf = (r: Registered | undefined): Rule[] => list(at(r?.inputs, "rules")) as Rule[];
const allows = (rules: Rule[], group: string, resource: string, verb: string, name?: string): boolean =>
  rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb) && (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))));

let stackKinds: string[] = [];
let tickRunner: Registered[] = [];
let loopRunner: Registered[] = [];

function settingsWith(runner: Record<string, unknown>) {
  return parseKubernetesSettings({ "understudy:kubernetes": { namespace: "shop", metrics: "annotations", runner } });
}

test.before(async () => {
  understudyProgram(process.cwd(), raw);
  await settle();
  stackKinds = [...new Set(registered.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.type))];
  const mark = registered.length;
  const tick = settingsWith({ image: "registry.example.com/understudy/runner:1", volume: { size: "2Gi", storageClass: "fast" } });
  new Runner("tick", { settings: tick, runner: tick.runner!, stack: "k8s", projectFile: "name: understudy\n", stackConfigFile: "config: {}\n", passphrase: "s3cret-phrase" });
  await settle();
  tickRunner = registered.slice(mark);
  const mark2 = registered.length;
  const loop = settingsWith({ image: "registry.example.com/understudy/runner:1", mode: "run", intervalSec: 45, passphraseSecret: "from-vault", backendUrl: "s3://state?endpoint=minio:9000", backendSecret: "state-creds" });
  new Runner("loop", { settings: loop, runner: loop.runner!, stack: "k8s", projectFile: "name: understudy\n", stackConfigFile: "config: {}\n", createNamespace: false });
  await settle();
  loopRunner = registered.slice(mark2);
});

const role = (rs: Registered[]) => rulesOf(byType(rs, "kubernetes:rbac.authorization.k8s.io/v1:Role")[0]);
const clusterRole = (rs: Registered[]) => rulesOf(byType(rs, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")[0]);

test("the Role covers every kind the stack declares: `up` can write all of it", (t) => {
  // Fails when the platform starts declaring a kind the runner may not write: add it to DECLARED_KINDS.
  t.true(stackKinds.length >= 10, `the program declared only ${stackKinds.join(", ")}`);
  const rules = role(tickRunner);
  for (const kind of stackKinds) {
    if (kind === NAMESPACE_KIND) continue;
    const k = DECLARED_KINDS[kind];
    t.truthy(k, `${kind} is declared by the stack but missing from the runner's rights`);
    if (!k) continue;
    for (const verb of ["get", "create", "patch", "delete"]) t.true(allows(rules, k.group, k.resource, verb), `${verb} ${k.group}/${k.resource}`);
  }
  // Its own namespace: by name only, and never created or deleted by the runner.
  const cluster = clusterRole(tickRunner);
  t.true(allows(cluster, "", "namespaces", "patch", "shop"));
  t.false(allows(cluster, "", "namespaces", "patch", "kube-system"));
  t.false(allows(cluster, "", "namespaces", "create") || allows(cluster, "", "namespaces", "delete", "shop"));
});

test("least privilege: no Secrets, no RBAC, no wildcards, the only cluster-wide right is reading nodes", (t) => {
  const rules = [...role(tickRunner), ...clusterRole(tickRunner)];
  for (const r of rules) {
    t.false([...r.apiGroups, ...r.resources, ...r.verbs].includes("*"), JSON.stringify(r));
    t.false(r.resources.includes("secrets"), JSON.stringify(r));
    t.false(r.apiGroups.includes("rbac.authorization.k8s.io"), JSON.stringify(r));
    t.false(r.verbs.some((v) => ["escalate", "bind", "impersonate"].includes(v)), JSON.stringify(r));
  }
  const cluster = clusterRole(tickRunner).filter((r) => !r.resourceNames);
  t.deepEqual(cluster, [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] }]);
  // Its lease: create (a name cannot limit create), the rest by name.
  t.true(allows(role(tickRunner), "coordination.k8s.io", "leases", "update", "understudy-runner-k8s"));
  t.false(allows(role(tickRunner), "coordination.k8s.io", "leases", "update", "kube-scheduler"));
  const binding = byType(tickRunner, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")[0];
  t.deepEqual(at(binding.inputs, "subjects"), [{ kind: "ServiceAccount", name: "understudy-runner", namespace: "shop" }]);
});

test("tick mode: a CronJob that never overlaps itself, each tick under the stack's lease", (t) => {
  const cron = byType(tickRunner, "kubernetes:batch/v1:CronJob")[0];
  t.is(at(cron.inputs, "spec.schedule"), "* * * * *");
  t.is(at(cron.inputs, "spec.concurrencyPolicy"), "Forbid");
  t.is(at(cron.inputs, "spec.jobTemplate.spec.backoffLimit"), 0);
  const pod = at(cron.inputs, "spec.jobTemplate.spec.template.spec");
  t.is(at(pod, "serviceAccountName"), "understudy-runner");
  t.is(at(pod, "securityContext.runAsNonRoot"), true);
  const args = list(at(pod, "containers.0.args")).map(str);
  t.is(args[0], "tick");
  const opt = (name: string) => args[args.indexOf(`--${name}`) + 1];
  t.is(opt("stack"), "k8s");
  t.is(opt("lock"), "lease");
  t.is(opt("lease"), "understudy-runner-k8s");
  t.is(opt("prometheus"), "http://prometheus-operated.monitoring.svc:9090");
  t.false(args.includes("--interval"));
  // The seed step copies the admin's config onto the volume before the runner reads it.
  t.deepEqual(list(at(pod, "initContainers.0.command")).slice(0, 2).map(str), ["node", "/app/dist/automation/runner/seed.js"]);
  // The Pod annotations let Prometheus scrape the runner's own metrics (metrics: annotations).
  t.is((at(cron.inputs, "spec.jobTemplate.spec.template.metadata.annotations") as Record<string, string>)["prometheus.io/scrape"], "true");
});

test("state on a volume shared across restarts, the passphrase from a Secret and only as a secret", (t) => {
  const claim = byType(tickRunner, "kubernetes:core/v1:PersistentVolumeClaim")[0];
  t.deepEqual([at(claim.inputs, "spec.resources.requests.storage"), at(claim.inputs, "spec.storageClassName")], ["2Gi", "fast"]);
  const secret = byType(tickRunner, "kubernetes:core/v1:Secret")[0];
  t.is(at(secret.inputs, "metadata.name"), "understudy-runner-passphrase");
  const data = (secret.inputs.stringData ?? {}) as Record<string, unknown>;
  t.true(isSecretInput(data.passphrase) || isSecretInput(secret.inputs.stringData), "the passphrase must be a Pulumi secret");
  const pod = at(byType(tickRunner, "kubernetes:batch/v1:CronJob")[0].inputs, "spec.jobTemplate.spec.template.spec");
  const env = new Map(list(at(pod, "containers.0.env")).map((e) => [str(at(e, "name")), str(at(e, "value"))]));
  t.is(env.get("PULUMI_CONFIG_PASSPHRASE_FILE"), "/etc/understudy/passphrase/passphrase");
  t.false(env.has("PULUMI_CONFIG_PASSPHRASE"), "never the passphrase itself in the pod spec");
  t.false(env.has("PULUMI_BACKEND_URL"), "the default backend is the volume's file:// one");
  const mounts = new Map(list(at(pod, "containers.0.volumeMounts")).map((m) => [str(at(m, "name")), str(at(m, "mountPath"))]));
  t.is(mounts.get("state"), "/app/.understudy");
  const volumes = new Map(list(at(pod, "volumes")).map((v) => [str(at(v, "name")), v]));
  t.is(at(volumes.get("passphrase"), "secret.secretName"), "understudy-runner-passphrase");
  t.is(at(volumes.get("state"), "persistentVolumeClaim.claimName"), "understudy-runner-state");
  // The seed holds the stack's files under the names seed.ts expects.
  const seed = byType(tickRunner, "kubernetes:core/v1:ConfigMap")[0];
  t.deepEqual(Object.keys(at(seed.inputs, "data") as object).sort(), ["Pulumi.k8s.yaml", "Pulumi.yaml"]);
});

test("run mode: one Deployment, Recreate (never two runners on the volume), the loop's interval, an object-store backend", (t) => {
  const d = byType(loopRunner, "kubernetes:apps/v1:Deployment")[0];
  t.is(at(d.inputs, "spec.replicas"), 1);
  t.is(at(d.inputs, "spec.strategy.type"), "Recreate");
  t.is(byType(loopRunner, "kubernetes:batch/v1:CronJob").length, 0);
  const c = at(d.inputs, "spec.template.spec.containers.0");
  const args = list(at(c, "args")).map(str);
  t.deepEqual([args[0], args[args.indexOf("--interval") + 1]], ["run", "45"]);
  const env = new Map(list(at(c, "env")).map((e) => [str(at(e, "name")), str(at(e, "value"))]));
  t.is(env.get("PULUMI_BACKEND_URL"), "s3://state?endpoint=minio:9000");
  t.deepEqual(at(c, "envFrom"), [{ secretRef: { name: "state-creds" } }]);
  // No passphrase given: the named Secret is the admin's to provide; the stack creates none.
  t.is(byType(loopRunner, "kubernetes:core/v1:Secret").length, 0);
  t.is(at(list(at(d.inputs, "spec.template.spec.volumes")).find((v) => at(v, "name") === "passphrase"), "secret.secretName"), "from-vault");
  t.is(byType(loopRunner, "kubernetes:core/v1:Namespace").length, 0);
});

test("a bad runner setting names the key and the rule", (t) => {
  const bad = (runner: unknown, message: RegExp) => t.throws(() => settingsWith(runner as Record<string, unknown>), { message });
  bad({}, /understudy:kubernetes\.runner\.image: is required/);
  bad({ image: "i", mode: "cron" }, /runner\.mode: must be tick \(a CronJob\) or run/);
  bad({ image: "i", mode: "run", schedule: "* * * * *" }, /runner\.schedule: only applies to mode tick/);
  bad({ image: "i", intervalSec: 10 }, /runner\.intervalSec: only applies to mode run/);
  bad({ image: "i", schedule: "every minute" }, /runner\.schedule: must be a five-field cron expression/);
  bad({ image: "i", volume: { size: "lots" } }, /runner\.volume\.size: must be a storage quantity/);
  bad({ image: "i", backendSecret: "creds" }, /runner\.backendSecret: holds the credentials of backendUrl/);
  bad({ image: "i", backendUrl: "ftp://x" }, /runner\.backendUrl: must be a Pulumi backend URL/);
  bad({ image: "i", lease: 3 }, /runner\.lease: unknown key/);
  bad({ image: "i", mode: "run", intervalSec: 1 }, /runner\.intervalSec: must be a whole number between 5 and 3600/);
  t.is(parseKubernetesSettings({ "understudy:kubernetes": {} }).runner, undefined);
});

test("seed: the admin's config once, then the runner's copy stands until the admin changes it", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-"));
  const from = path.join(dir, "seed");
  const to = path.join(dir, "work");
  fs.mkdirSync(from);
  fs.writeFileSync(path.join(from, "Pulumi.yaml"), "name: understudy\n");
  fs.writeFileSync(path.join(from, "Pulumi.k8s.yaml"), "config: {a: 1}\n");
  t.regex(seedWorkDir(from, to, "k8s")[0], /seeded/);
  fs.writeFileSync(path.join(to, "Pulumi.k8s.yaml"), "config: {a: 2}\n"); // the runner's write
  t.regex(seedWorkDir(from, to, "k8s")[0], /kept/);
  t.is(fs.readFileSync(path.join(to, "Pulumi.k8s.yaml"), "utf8"), "config: {a: 2}\n");
  fs.writeFileSync(path.join(from, "Pulumi.k8s.yaml"), "config: {a: 3}\n"); // the admin's new config
  t.regex(seedWorkDir(from, to, "k8s")[0], /replaced/);
  t.is(fs.readFileSync(path.join(to, "Pulumi.k8s.yaml"), "utf8"), "config: {a: 3}\n");
  t.throws(() => seedWorkDir(from, to, "prod"), { message: /Pulumi\.prod\.yaml is missing/ });
  fs.rmSync(dir, { recursive: true, force: true });
});

test("engine: backend, passphrase and PULUMI_HOME from the environment when set; an explicit state dir wins", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-"));
  const file = path.join(dir, "passphrase");
  fs.writeFileSync(file, "from-a-secret\n");
  const env = { PULUMI_BACKEND_URL: "s3://bucket", PULUMI_CONFIG_PASSPHRASE_FILE: file, PULUMI_HOME: "/var/pulumi" };
  const e = engineEnv({ root: dir, stack: "s" }, env);
  t.deepEqual([e.PULUMI_BACKEND_URL, e.PULUMI_CONFIG_PASSPHRASE, e.PULUMI_HOME], ["s3://bucket", "from-a-secret", "/var/pulumi"]);
  t.is(engineEnv({ root: dir, stack: "s", stateDir: path.join(dir, "st") }, env).PULUMI_BACKEND_URL, `file://${path.join(dir, "st")}`);
  t.is(passphrase(dir, { PULUMI_CONFIG_PASSPHRASE: "direct", PULUMI_CONFIG_PASSPHRASE_FILE: file }), "direct");
  t.throws(() => passphrase(dir, { PULUMI_CONFIG_PASSPHRASE_FILE: path.join(dir, "absent") }), { message: /PULUMI_CONFIG_PASSPHRASE_FILE names .*absent, which does not exist/ });
  // Nothing set: the checkout's own backend and a generated passphrase, stable between calls.
  const local = engineEnv({ root: dir, stack: "s" }, {});
  t.is(local.PULUMI_BACKEND_URL, `file://${path.join(dir, ".understudy", "state")}`);
  t.is(local.PULUMI_CONFIG_PASSPHRASE, engineEnv({ root: dir, stack: "s" }, {}).PULUMI_CONFIG_PASSPHRASE);
  fs.rmSync(dir, { recursive: true, force: true });
});
