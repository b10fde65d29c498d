// Rules traffic-weights and canary-step: every weight is a percent, live + shadow = 100, the mirror
// percent is a percent; and the shadows' share is a step of the canary ladder, whose steps are no
// larger than the configured maximum.
import { Facts } from "../facts";
import { noIntent, StackIntent } from "../intent";
import { Violation } from "../model";

export const WEIGHTS = "traffic-weights";
export const CANARY = "canary-step";

export interface CanaryConfig {
  /** The ladder when the stack's decision policy has none (understudy:policy.canary.steps wins). */
  canarySteps: number[];
  maxCanaryStepPercent: number;
}

const inRange = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 100;

export function trafficWeights(f: Facts): Violation[] {
  const out: Violation[] = [];
  for (const route of f.routes) {
    const at = (problem: string, fix: string): Violation => ({ rule: WEIGHTS, resource: route.r, problem: `'${route.service}': ${problem}`, fix });
    const bad = route.weights.filter((w) => !inRange(w.weight));
    if (bad.length > 0) out.push(at(`weight ${bad.map((w) => w.weight).join(", ")} is not a whole percent between 0 and 100`, `set understudy:services.${route.service}.shadows.weightPercent between 0 and 100`));
    const sum = route.weights.reduce((n, w) => n + w.weight, 0);
    if (!route.liveImplied && route.weights.length > 1 && sum !== 100) {
      out.push(at(`live and shadow weights add up to ${sum}, not 100`, "give the live backend 100 minus the shadows' weight"));
    }
    if (route.mirrorPercent !== undefined && !inRange(route.mirrorPercent)) {
      out.push(at(`mirror percent ${route.mirrorPercent} is not between 0 and 100`, `set understudy:services.${route.service}.shadows.mirrorPercent between 0 and 100`));
    }
  }
  return out;
}

export function canaryStep(f: Facts, c: CanaryConfig, intent: StackIntent = noIntent): Violation[] {
  const out: Violation[] = [];
  // The runner's own ladder is what a change edits: it is checked against the policy's maximum.
  const steps = intent.canarySteps ?? c.canarySteps;
  const source = intent.canarySteps ? "understudy:policy.canary.steps" : "the policy's canarySteps";
  const ladder = [0, ...steps.filter((s) => s > 0 && s < 100), 100].sort((a, b) => a - b);
  ladder.slice(1).forEach((step, i) => {
    if (step - ladder[i] > c.maxCanaryStepPercent) {
      out.push({
        rule: CANARY,
        problem: `the canary ladder goes from ${ladder[i]}% to ${step}%, a step of ${step - ladder[i]}% (maximum ${c.maxCanaryStepPercent}%)`,
        fix: `add intermediate steps to ${source}`,
      });
    }
  });
  for (const route of f.routes) {
    for (const w of route.weights.filter((x) => x.role === "shadow" && !ladder.includes(x.weight))) {
      out.push({
        rule: CANARY,
        resource: route.r,
        problem: `'${route.service}' sends ${w.weight}% to its shadows, which is not a canary step (${ladder.join(", ")})`,
        fix: `set understudy:services.${route.service}.shadows.weightPercent to a step of the ladder and move one step per change`,
      });
    }
  }
  return out;
}
