// The @pulumi/policy adapter: unknown preview values, the stack config as intent, and the policies
// as the engine calls them (config defaults, violations reported with the resource's URN).
import { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import test from "ava";
import { noIntent, stackIntent } from "../../../policies/intent";
import { policies, snapshot, toArgs } from "../../../policies/pack";
import { local } from "./fakes";

/** What @pulumi/policy hands a stack policy: props behind a proxy that throws on unknown values. */
function policyResource(type: string, name: string, props: Record<string, unknown>, unknown: string[] = []): PolicyResource {
  const proxy = new Proxy(props, {
    get: (o, k) => {
      if (typeof k === "string" && unknown.includes(k)) throw new Error(`${k} can't be known during preview`);
      return o[k as string];
    },
  });
  return { type, name, urn: `urn:${name}`, props: proxy, opts: { additionalSecretOutputs: [] } as unknown as PolicyResource["opts"], dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined };
}

function run(name: string, resources: PolicyResource[], config: object = {}): { message: string; urn?: string }[] {
  const policy = policies(() => noIntent).find((p) => p.name === name);
  if (!policy) throw new Error(`no policy ${name}`);
  const out: { message: string; urn?: string }[] = [];
  const args = { resources, getConfig: () => config } as unknown as StackValidationArgs;
  void policy.validateStack(args, (message, urn) => out.push({ message, urn }));
  return out;
}

test("values unknown during preview become undefined instead of failing the policy", (t) => {
  const r = policyResource("aws:lb/listener:Listener", "l", { protocol: "HTTP", loadBalancerArn: "x" }, ["loadBalancerArn"]);
  t.deepEqual(toArgs(r).props, { protocol: "HTTP", loadBalancerArn: undefined });
  t.deepEqual(snapshot({ a: [1, { b: 2 }] }), { a: [1, { b: 2 }] });
});

test("the stack config gives each service's consistency and mode; a bad one gives nothing", (t) => {
  const services = JSON.stringify({ orders: { command: "x", store: { host: "host-1" }, consistency: "strong", replication: { mode: "async" } } });
  t.deepEqual(stackIntent({ "understudy:services": services }).services, [{ name: "orders", consistency: "strong", mode: "async", stateful: true }]);
  t.deepEqual(stackIntent({ "understudy:services": "{" }).services, []);
});

test("the runner's decision policy gives the shadow cap, the canary ladder and prices", (t) => {
  const policy = JSON.stringify({ maxShadows: 2, canary: { steps: [10, 40, 100] }, cost: { instancePricePerHour: { default: 0.1, aws: 0.2, "aws/m7g.large": 0.5 }, instanceTypes: { orders: "m7g.large" } } });
  const i = stackIntent({ "understudy:platform": "aws", "understudy:policy": policy });
  t.is(i.maxShadows, 2);
  t.deepEqual(i.canarySteps, [10, 40, 100]);
  t.is(i.pricePerHour("orders"), 0.5);
  t.is(i.pricePerHour("billing"), 0.2);
  t.is(stackIntent({ "understudy:policy": JSON.stringify({ cost: { instancePricePerHour: { default: 0.1 } } }) }).pricePerHour("x"), 0.1);
  t.deepEqual(stackIntent({ "understudy:policy": "not json {" }).maxShadows, undefined);
});

test("eight policies, mandatory by default, with config schemas where they take limits", (t) => {
  const ps = policies(() => noIntent);
  t.deepEqual(ps.map((p) => p.name), ["shadow-placement", "traffic-weights", "canary-step", "replication-stream", "shadow-budget", "health-checks", "public-tls", "credentials-secret"]);
  t.true(ps.every((p) => p.enforcementLevel === "mandatory"));
  t.deepEqual(Object.keys(ps.find((p) => p.name === "shadow-budget")?.configSchema?.properties ?? {}), ["maxShadowsPerService", "maxShadowsTotal", "shadowHourlyCost", "maxShadowCostPerHour"]);
});

test("a policy reports each violation with its resource's URN, and takes limits from its config", (t) => {
  const shadow = (host: string) => {
    const f = local.process("orders", "shadow", host);
    return policyResource(f.type, f.name, f.props);
  };
  const three = [shadow("h2"), shadow("h3"), shadow("h4")];
  t.deepEqual(run("shadow-budget", three), []);
  const [v] = run("shadow-budget", three, { maxShadowsPerService: 2 });
  t.is(v.urn, "urn:orders-shadow-h2");
  t.regex(v.message, /^\[shadow-budget\] .*'orders' keeps 3 shadows, over the budget of 2 per service \(the policy's maxShadowsPerService\)\. Fix: /);
});
