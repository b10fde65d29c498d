// Rule shadow-budget: the shadows the stack keeps stay within the cost model's budget — a count per
// service, a count in total, and (with a price) a spend per hour. The policy config sets the caps;
// the stack's decision policy (maxShadows, instance prices) may only tighten them, so a change
// cannot raise its own budget.
import { Facts } from "../facts";
import { noIntent, StackIntent } from "../intent";
import { Violation } from "../model";

export const BUDGET = "shadow-budget";

export interface BudgetConfig {
  maxShadowsPerService: number;
  maxShadowsTotal: number;
  /** Price of one shadow instance-hour when the stack's cost model has none; with maxShadowCostPerHour, bounds the spend. */
  shadowHourlyCost: number;
  maxShadowCostPerHour?: number;
}

export function shadowBudget(f: Facts, c: BudgetConfig, intent: StackIntent = noIntent): Violation[] {
  const out: Violation[] = [];
  const perServiceCap = Math.min(c.maxShadowsPerService, intent.maxShadows ?? Infinity);
  const shadows = f.instances.filter((i) => i.role === "shadow");
  const perService = new Map<string, number>();
  for (const s of shadows) perService.set(s.service, (perService.get(s.service) ?? 0) + s.count);
  for (const [svc, n] of perService) {
    if (n > perServiceCap) {
      const r = shadows.find((s) => s.service === svc)?.r;
      const source = perServiceCap < c.maxShadowsPerService ? "understudy:policy.maxShadows" : "the policy's maxShadowsPerService";
      out.push({ rule: BUDGET, resource: r, problem: `'${svc}' keeps ${n} shadows, over the budget of ${perServiceCap} per service (${source})`, fix: `lower understudy:services.${svc}.shadows.count` });
    }
  }
  const total = [...perService.values()].reduce((a, b) => a + b, 0);
  if (total > c.maxShadowsTotal) {
    out.push({ rule: BUDGET, problem: `the stack keeps ${total} shadows, over the budget of ${c.maxShadowsTotal}`, fix: "lower shadows.count of some services or raise the policy's maxShadowsTotal" });
  }
  const spend = [...perService].reduce((sum, [svc, n]) => sum + n * (intent.pricePerHour(svc) ?? c.shadowHourlyCost), 0);
  if (c.maxShadowCostPerHour !== undefined && spend > c.maxShadowCostPerHour) {
    out.push({ rule: BUDGET, problem: `${total} shadows cost ${spend.toFixed(2)} per hour, over the budget of ${c.maxShadowCostPerHour}`, fix: "lower shadows.count, use a cheaper instance type, or raise the policy's maxShadowCostPerHour" });
  }
  return out;
}
