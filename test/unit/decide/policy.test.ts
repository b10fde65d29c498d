import test from "ava";
import { ConfigError } from "../../../components/config";
import { DEFAULT_CANARY } from "../../../automation/canary/rollout";
import { DEFAULT_POLICY, instancePrice, parsePolicy } from "../../../automation/decide";

test("an empty policy is the defaults", (t) => {
  t.deepEqual(parsePolicy(undefined), DEFAULT_POLICY);
  t.deepEqual(parsePolicy({}), DEFAULT_POLICY);
});

test("the canary defaults are the CLI canary's", (t) => t.deepEqual(parsePolicy({}).canary, DEFAULT_CANARY));

test("every canary key is read", (t) => {
  const canary = { steps: [50, 100], intervalSec: 90, maxErrorRateDelta: 0.02, maxP99Ratio: 2, minRequests: 100, p99FloorMs: 25 };
  t.deepEqual(parsePolicy({ canary }).canary, canary);
  t.deepEqual(parsePolicy(JSON.stringify({ canary: { intervalSec: "90", minRequests: "5", p99FloorMs: "12.5" } })).canary, { ...DEFAULT_CANARY, intervalSec: 90, minRequests: 5, p99FloorMs: 12.5 });
});

test("stack config text: the object as JSON, numbers as strings", (t) => {
  const p = parsePolicy(JSON.stringify({ horizonSec: "600", canary: { steps: [20, 100] }, cost: { instancePricePerHour: { aws: 0.2 } } }));
  t.is(p.horizonSec, 600);
  t.deepEqual(p.canary.steps, [20, 100]);
  t.is(p.canary.intervalSec, DEFAULT_POLICY.canary.intervalSec);
  t.deepEqual(p.cost.instancePricePerHour, { default: 0.1, aws: 0.2 });
});

const bad: [string, unknown, string, RegExp][] = [
  ["unknown key", { horizon: 300 }, "understudy:policy.horizon", /unknown key; allowed keys are riseThreshold/],
  ["unknown nested key", { canary: { step: [5] } }, "understudy:policy.canary.step", /unknown key/],
  ["not JSON", "{horizonSec: 3", "understudy:policy", /not valid JSON/],
  ["not an object", [1, 2], "understudy:policy", /must be an object/],
  ["not a number", { confidence: "high" }, "understudy:policy.confidence", /must be a number/],
  ["out of range", { confidence: 1.5 }, "understudy:policy.confidence", /between 0.01 and 1/],
  ["fractional integer", { maxChangesPerTick: 2.5 }, "understudy:policy.maxChangesPerTick", /integer/],
  ["target at the threshold", { targetUtilisation: 0.95 }, "understudy:policy.targetUtilisation", /below cpuThreshold/],
  ["floor at the target", { consolidation: { floor: 0.6 } }, "understudy:policy.consolidation.floor", /below targetUtilisation/],
  ["min above max shadows", { minShadows: 3, maxShadows: 2 }, "understudy:policy.minShadows", /must not exceed maxShadows/],
  ["upper quantile not forecast", { upperQuantile: 0.99 }, "understudy:policy.upperQuantile", /one of the forecast's quantiles/],
  ["idle mirror above mirror", { mirrorPercent: 10, idleMirrorPercent: 20 }, "understudy:policy.idleMirrorPercent", /must not exceed mirrorPercent/],
  ["canary steps decreasing", { canary: { steps: [10, 5, 100] } }, "understudy:policy.canary.steps", /strictly increasing/],
  ["canary not reaching 100", { canary: { steps: [5, 50] } }, "understudy:policy.canary.steps", /must end at 100/],
  ["canary step above 100", { canary: { steps: [5, 150] } }, "understudy:policy.canary.steps[1]", /between 1 and 100/],
  ["canary's old stepIntervalSec", { canary: { stepIntervalSec: 60 } }, "understudy:policy.canary.stepIntervalSec", /unknown key; allowed keys are steps, intervalSec/],
  ["canary interval zero", { canary: { intervalSec: 0 } }, "understudy:policy.canary.intervalSec", /between 1 and 86400/],
  ["canary interval fractional", { canary: { intervalSec: 2.5 } }, "understudy:policy.canary.intervalSec", /integer/],
  ["canary error delta above 1", { canary: { maxErrorRateDelta: 2 } }, "understudy:policy.canary.maxErrorRateDelta", /between 0 and 1/],
  ["canary p99 ratio below 1", { canary: { maxP99Ratio: 0.5 } }, "understudy:policy.canary.maxP99Ratio", /between 1 and 1000/],
  ["canary min requests negative", { canary: { minRequests: -1 } }, "understudy:policy.canary.minRequests", /between 0/],
  ["canary min requests fractional", { canary: { minRequests: 2.5 } }, "understudy:policy.canary.minRequests", /integer/],
  ["canary p99 floor not a number", { canary: { p99FloorMs: "fast" } }, "understudy:policy.canary.p99FloorMs", /must be a number/],
  ["canary p99 floor negative", { canary: { p99FloorMs: -5 } }, "understudy:policy.canary.p99FloorMs", /between 0 and 60000/],
  ["negative price", { cost: { instancePricePerHour: { aws: -1 } } }, "understudy:policy.cost.instancePricePerHour.aws", /between 0/],
  ["empty instance type", { cost: { instanceTypes: { orders: "" } } }, "understudy:policy.cost.instanceTypes.orders", /non-empty string/],
];

for (const [name, value, key, rule] of bad) {
  test(`rejected: ${name}`, (t) => {
    const e = t.throws(() => parsePolicy(value), { instanceOf: ConfigError });
    t.is(e?.key, key);
    t.regex(e?.message ?? "", rule);
  });
}

const prices: [string, Record<string, unknown>, "local" | "aws", number][] = [
  ["the default", {}, "aws", 0.1],
  ["the platform's", { instancePricePerHour: { aws: 0.2 } }, "aws", 0.2],
  ["the instance type's", { instancePricePerHour: { aws: 0.2, "aws/m5.large": 0.096 }, instanceTypes: { orders: "m5.large" } }, "aws", 0.096],
  ["another platform falls back to the default", { instancePricePerHour: { aws: 0.2 } }, "local", 0.1],
];
for (const [name, cost, platform, price] of prices) {
  test(`instance price: ${name}`, (t) => t.is(instancePrice(parsePolicy({ cost }), platform, "orders"), price));
}
