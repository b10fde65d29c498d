// The policy rules over fake resource arguments of every platform: each rule fires on the fault,
// stays quiet on the fix, and its message names the resource, the rule and the fix.
import test from "ava";
import { BUDGET_DEFAULTS, CANARY_DEFAULTS, PLACEMENT_DEFAULTS } from "../../../policies/config";
import { collectFacts } from "../../../policies/facts";
import { noIntent } from "../../../policies/intent";
import { describe, ResourceArgs, Violation } from "../../../policies/model";
import { shadowBudget } from "../../../policies/rules/budget";
import { credentialsAreSecrets, isCredentialName } from "../../../policies/rules/credentials";
import { healthChecks } from "../../../policies/rules/health";
import { shadowPlacement } from "../../../policies/rules/placement";
import { replicationStreams } from "../../../policies/rules/replication";
import { publicTls } from "../../../policies/rules/tls";
import { canaryStep, trafficWeights } from "../../../policies/rules/weights";
import { aws, docker, k8s, local } from "./fakes";

const placement = (rs: ResourceArgs[]) => shadowPlacement(collectFacts(rs), PLACEMENT_DEFAULTS);
const names = (vs: Violation[]) => vs.map((v) => v.resource?.name ?? "(stack)");

test("describe: the resource, the rule and the fix in one message", (t) => {
  const [v] = placement([local.process("orders", "live", "host-1"), local.process("orders", "shadow", "host-1")]);
  t.is(describe(v), "[shadow-placement] pulumi-nodejs:dynamic/local:process 'orders-shadow-host-1': shadow of 'orders' runs on host host-1, which also runs live instance(s) 'orders-live-host-1'. Fix: place the shadows on hosts without a live instance of 'orders' (understudy:services.orders.shadows.hosts, or add hosts).");
});

test("shadow-placement, local and docker: same host (or network) as a live instance of the same service", (t) => {
  t.deepEqual(names(placement([local.process("orders", "live", "host-1"), local.process("orders", "shadow", "host-3"), local.process("billing", "live", "host-3")])), []);
  t.deepEqual(names(placement([docker.container("orders", "live", "host-2"), docker.container("orders", "shadow", "host-2")])), ["orders-shadow-host-2", "orders-shadow-host-2"]);
  t.deepEqual(names(placement([docker.container("orders", "live", "host-1"), docker.container("orders", "shadow", "host-3")])), []);
});

test("shadow-placement, aws: a shadow group in a live group's zone", (t) => {
  t.deepEqual(names(placement([aws.asg("orders", "live", ["a", "b"]), aws.asg("orders", "shadow", ["b", "c"])])), ["orders-shadow", "orders-shadow"]);
  t.deepEqual(names(placement([aws.asg("orders", "live", ["a", "b"]), aws.asg("orders", "shadow", ["c", "d"])])), []);
});

test("shadow-placement, kubernetes: shadow pods need required anti-affinity against live pods on a host or zone key", (t) => {
  t.deepEqual(names(placement([k8s.deployment("orders", "live"), k8s.deployment("orders", "shadow")])), []);
  t.deepEqual(names(placement([k8s.deployment("orders", "shadow", { topologyKey: "topology.kubernetes.io/zone" })])), []);
  t.deepEqual(names(placement([k8s.deployment("orders", "shadow", { topologyKey: null })])), ["orders-shadow"]);
  t.deepEqual(names(placement([k8s.deployment("orders", "shadow", { topologyKey: "kubernetes.io/os" })])), ["orders-shadow"]);
});

test("traffic-weights: percents only, live + shadow = 100, mirror percent in range", (t) => {
  const weights = (rs: ResourceArgs[]) => trafficWeights(collectFacts(rs));
  t.deepEqual(weights([k8s.route("orders", 90, 10, 25), aws.targetGroup("orders", "live"), aws.targetGroup("orders", "shadow"), aws.rule("orders", 80, 20), local.routing("orders", 10, 5), docker.lb("orders", 0, 100)]), []);
  t.regex(describe(weights([k8s.route("orders", 90, 20)])[0]), /add up to 110, not 100/);
  t.regex(describe(weights([aws.rule("orders", 101, -1)])[0]), /weight 101, -1 is not a whole percent/);
  t.regex(describe(weights([local.routing("orders", 150)])[0]), /weight -50, 150 is not a whole percent/);
  t.regex(describe(weights([docker.lb("orders", 10, 120)])[0]), /mirror percent 120 is not between 0 and 100/);
  t.regex(describe(weights([k8s.route("orders", 50, 50, 101)])[0]), /mirror percent 101/);
});

test("canary-step: the shadows' share is on the ladder, whose steps are within the maximum", (t) => {
  const canary = (rs: ResourceArgs[], c = CANARY_DEFAULTS) => canaryStep(collectFacts(rs), c);
  t.deepEqual(canary([k8s.route("orders", 75, 25), local.routing("billing", 0), docker.lb("cart", 100)]), []);
  t.regex(describe(canary([local.routing("orders", 30)])[0]), /sends 30% to its shadows, which is not a canary step \(0, 5, 10, 25, 50, 100\)/);
  t.deepEqual(names(canary([aws.targetGroup("orders", "live"), aws.targetGroup("orders", "shadow"), aws.rule("orders", 60, 40)])), ["orders-route"]);
  const [ladder] = canary([], { canarySteps: [10, 50], maxCanaryStepPercent: 25 });
  t.regex(describe(ladder), /^\[canary-step\] the stack: the canary ladder goes from 10% to 50%, a step of 40% \(maximum 25%\)\. Fix: add intermediate steps to the policy's canarySteps/);
  // The runner's own ladder (understudy:policy.canary.steps) is the one judged when the stack has it.
  const runner = { ...noIntent, canarySteps: [20, 100] };
  t.regex(describe(canaryStep(collectFacts([local.routing("orders", 20)]), CANARY_DEFAULTS, runner)[0]), /from 20% to 100%, a step of 80% \(maximum 50%\)\. Fix: add intermediate steps to understudy:policy.canary.steps/);
});

test("replication-stream: a stateful service with shadows needs a stream; strong consistency needs sync", (t) => {
  const rep = (rs: ResourceArgs[]) => replicationStreams(collectFacts(rs)).map((v) => `${v.resource?.name ?? ""}: ${v.problem.split(":")[0]}`);
  const shadows = [docker.container("orders", "live", "h1"), docker.container("orders", "shadow", "h3")];
  t.deepEqual(rep([...shadows, docker.store("orders", "primary", "eventual")]), ["orders-store-primary: 'orders' keeps state and has 1 shadow(s), but no replication stream feeds them"]);
  t.deepEqual(rep([...shadows, docker.store("orders", "primary", "eventual"), docker.step("orders", "subscription", "async"), docker.step("orders", "standbys", "async")]), []);
  t.regex(rep([...shadows, docker.store("orders", "primary", "strong"), docker.step("orders", "subscription", "async"), docker.step("orders", "standbys", "async")])[0], /requires strong consistency/);
  t.deepEqual(rep([...shadows, docker.store("orders", "primary", "strong"), docker.step("orders", "subscription", "sync"), docker.step("orders", "standbys", "sync")]), []);
  // Kubernetes: strong is met by the synchronous-commit patch of the primary Cluster.
  const kube = [k8s.deployment("orders", "shadow"), k8s.cluster("orders", "h1", "primary", "strong"), k8s.subscription("orders", "h3")];
  t.regex(rep(kube)[0], /requires strong consistency/);
  t.deepEqual(rep([...kube, k8s.synchronous("orders-store-h1")]), []);
  // AWS: read replicas are the stream; strong needs a Multi-AZ primary.
  const cloud = [aws.asg("orders", "shadow", ["c"]), aws.db("orders", "h3", { replica: true })];
  t.regex(rep([...cloud, aws.db("orders", "h1", { consistency: "strong" })])[0], /requires strong consistency/);
  t.deepEqual(rep([...cloud, aws.db("orders", "h1", { consistency: "strong", multiAz: true })]), []);
  // Local: the subscription's mode; consistency from the stack config.
  const dev = [local.process("orders", "shadow", "h3"), local.store("orders", "h1"), local.store("orders", "h3"), local.subscription("orders", "h3", "async")];
  const strong = [{ name: "orders", consistency: "strong" as const, mode: "async" as const, stateful: true }];
  const [asyncStrong] = replicationStreams(collectFacts(dev), strong);
  t.is(asyncStrong.resource?.name, "orders-store-h1"); // the primary: the store without a subscription
  t.regex(asyncStrong.problem, /requires strong consistency/);
  const syncDev = [...dev.slice(0, 3), local.subscription("orders", "h3", "sync")];
  t.is(replicationStreams(collectFacts(syncDev), strong).length, 1); // the config itself still says async
  t.deepEqual(replicationStreams(collectFacts(syncDev), [{ ...strong[0], mode: "sync" }]), []);
});

test("shadow-budget: per service, in total, and spend per hour", (t) => {
  const budget = (rs: ResourceArgs[], c = BUDGET_DEFAULTS) => shadowBudget(collectFacts(rs), c).map(describe);
  t.deepEqual(budget([k8s.deployment("orders", "shadow", { replicas: 4 })]), []);
  t.regex(budget([k8s.deployment("orders", "shadow", { replicas: 5 })])[0], /'orders' keeps 5 shadows, over the budget of 4 per service \(the policy's maxShadowsPerService\)/);
  // The stack's decision policy may lower the cap (never raise it) and prices the shadows.
  const tight = { ...noIntent, maxShadows: 3, pricePerHour: () => 0.5 };
  t.regex(shadowBudget(collectFacts([k8s.deployment("orders", "shadow", { replicas: 4 })]), BUDGET_DEFAULTS, tight).map(describe)[0], /over the budget of 3 per service \(understudy:policy.maxShadows\)/);
  t.deepEqual(shadowBudget(collectFacts([k8s.deployment("orders", "shadow", { replicas: 4 })]), BUDGET_DEFAULTS, { ...tight, maxShadows: 9 }), []);
  t.regex(shadowBudget(collectFacts([k8s.deployment("orders", "shadow", { replicas: 2 })]), { ...BUDGET_DEFAULTS, maxShadowCostPerHour: 0.9 }, tight).map(describe)[0], /2 shadows cost 1.00 per hour/);
  t.regex(budget([aws.asg("a", "shadow", ["c", "d"]), aws.asg("b", "shadow", ["c", "d"])], { ...BUDGET_DEFAULTS, maxShadowsTotal: 3 })[0], /the stack keeps 4 shadows, over the budget of 3/);
  t.regex(budget([docker.container("a", "shadow", "h3"), local.process("b", "shadow", "h4")], { ...BUDGET_DEFAULTS, shadowHourlyCost: 0.5, maxShadowCostPerHour: 0.75 })[0], /2 shadows cost 1.00 per hour, over the budget of 0.75/);
});

test("health-checks: probes, container checks, ELB checks, target group checks, health paths", (t) => {
  const health = (rs: ResourceArgs[]) => names(healthChecks(collectFacts(rs))).sort();
  t.deepEqual(health([k8s.deployment("o", "live"), docker.container("o", "live", "h1"), aws.asg("o", "live", ["a"]), aws.targetGroup("o", "live"), local.process("o", "live", "h1")]), []);
  t.deepEqual(
    health([k8s.deployment("o", "live", { probes: false }), docker.container("o", "shadow", "h1", { health: false }), aws.asg("o", "live", ["a"], { healthCheckType: "EC2" }), aws.targetGroup("o", "shadow", false), local.process("o", "live", "h2", { healthPath: undefined })]),
    ["o-live", "o-live", "o-live-h2", "o-shadow", "o-shadow-h1"],
  );
});

test("public-tls: public gateways and ALB listeners speak HTTPS (or only redirect to it)", (t) => {
  const tls = (rs: ResourceArgs[]) => names(publicTls(collectFacts(rs)));
  t.deepEqual(tls([k8s.gateway("public", "HTTPS"), k8s.gateway("internal", "HTTP")]), []);
  t.deepEqual(tls([k8s.gateway("public", "HTTP")]), ["gateway"]);
  const albs = [aws.alb("public", false), aws.alb("mirror", true)];
  t.deepEqual(tls([...albs, aws.listener("https", "public", "HTTPS"), aws.listener("redirect", "public", "HTTP", { redirect: true }), aws.listener("mirror", "mirror", "HTTP")]), []);
  t.deepEqual(tls([...albs, aws.listener("http", "public", "HTTP")]), ["http"]);
  // In preview the ARN is unknown: the listener's dependency names its load balancer.
  t.deepEqual(tls([...albs, aws.listener("mirror", "mirror", "HTTP", { viaDependency: true })]), []);
  t.deepEqual(tls([aws.listener("orphan", "nowhere", "HTTP", { viaDependency: true })]), ["orphan"]);
});

test("credentials-secret: which names are credentials", (t) => {
  for (const k of ["password", "POSTGRES_PASSWORD", "PGPASSWORD", "db-password", "GITHUB_TOKEN", "token", "API_KEY", "masterPassword", "clientSecret"]) t.true(isCredentialName(k), k);
  for (const k of ["reloadToken", "tlsSecretName", "secretArn", "masterUserSecrets", "healthPath"]) t.false(isCredentialName(k), k);
});

test("credentials-secret: passwords and URLs with passwords are secrets; never in user data", (t) => {
  const creds = (rs: ResourceArgs[]) => credentialsAreSecrets(rs).map(describe);
  t.deepEqual(creds([docker.container("o", "live", "h1", { envs: ["POSTGRES_PASSWORD=hunter2"], secretOutputs: ["envs"] })]), []);
  t.regex(creds([docker.container("o", "live", "h1", { envs: ["DATABASE_URL=postgres://u:hunter2@db:5432/o"] })])[0], /envs\[0\] holds a credential in plain text\. Fix: make 'envs' a Pulumi secret/);
  t.regex(creds([k8s.deployment("o", "live", { env: [{ name: "DB_PASSWORD", value: "hunter2" }] })])[0], /spec\.template\.spec\.containers\[0\]\.env\[0\]\.DB_PASSWORD/);
  t.deepEqual(creds([k8s.deployment("o", "live", { env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "o-app", key: "password" } } }] })]), []);
  t.regex(creds([local.process("o", "live", "h1", { env: { DATABASE_URL: "postgres://u:pw@127.0.1.1:15432/o" } })])[0], /env\.DATABASE_URL holds a credential/);
  t.deepEqual(creds([local.process("o", "live", "h1", { secretEnv: { DATABASE_URL: "postgres://u:pw@h/o" } })]), []);
  t.deepEqual(creds([aws.db("o", "h1", { password: "hunter2" })]), []);
  t.regex(creds([aws.db("o", "h1", { password: "hunter2", secretOutputs: [] })])[0], /password holds a credential/);
  t.regex(creds([aws.launchTemplate("lt", "echo DATABASE_URL=postgres://u:hunter2@db/o >> env")])[0], /user data contains a credential/);
  t.deepEqual(creds([aws.launchTemplate("lt", 'export PGPASSWORD=$(jq -r .password)\necho "DATABASE_URL=postgres://u:$pw@db/o"')]), []);
});
