// Rule shadow-budget: the shadows the stack keeps stay within the cost model's budget — a count per
// service, a count in total, and (with a price) a spend per hour.
import { Facts } from "../facts";
import { Violation } from "../model";

export const BUDGET = "shadow-budget";

export interface BudgetConfig {
  maxShadowsPerService: number;
  maxShadowsTotal: number;
  /** Price of one shadow instance-hour; with maxShadowCostPerHour, bounds the spend. */
  shadowHourlyCost: number;
  maxShadowCostPerHour?: number;
}

export function shadowBudget(f: Facts, c: BudgetConfig): Violation[] {
  const out: Violation[] = [];
  const shadows = f.instances.filter((i) => i.role === "shadow");
  const perService = new Map<string, number>();
  for (const s of shadows) perService.set(s.service, (perService.get(s.service) ?? 0) + s.count);
  for (const [svc, n] of perService) {
    if (n > c.maxShadowsPerService) {
      const r = shadows.find((s) => s.service === svc)?.r;
      out.push({ rule: BUDGET, resource: r, problem: `'${svc}' keeps ${n} shadows, over the budget of ${c.maxShadowsPerService} per service`, fix: `lower understudy:services.${svc}.shadows.count or raise the policy's maxShadowsPerService` });
    }
  }
  const total = [...perService.values()].reduce((a, b) => a + b, 0);
  if (total > c.maxShadowsTotal) {
    out.push({ rule: BUDGET, problem: `the stack keeps ${total} shadows, over the budget of ${c.maxShadowsTotal}`, fix: "lower shadows.count of some services or raise the policy's maxShadowsTotal" });
  }
  const spend = total * c.shadowHourlyCost;
  if (c.maxShadowCostPerHour !== undefined && spend > c.maxShadowCostPerHour) {
    out.push({ rule: BUDGET, problem: `${total} shadows cost ${spend.toFixed(2)} per hour, over the budget of ${c.maxShadowCostPerHour}`, fix: "lower shadows.count, use a cheaper instance type, or raise the policy's maxShadowCostPerHour" });
  }
  return out;
}
