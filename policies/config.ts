// The pack's configuration: each policy's settings with their defaults, as Pulumi policy config
// schemas. A pull request cannot raise its own budget: these come from the policy config
// (`--policy-pack-config`), not from the stack config the change edits.
import { PolicyConfigSchema } from "@pulumi/policy";
import { BudgetConfig } from "./rules/budget";
import { PlacementConfig } from "./rules/placement";
import { CanaryConfig } from "./rules/weights";

export const PLACEMENT_DEFAULTS: PlacementConfig = { topologyKeys: ["kubernetes.io/hostname", "topology.kubernetes.io/zone"] };
export const CANARY_DEFAULTS: CanaryConfig = { canarySteps: [5, 10, 25, 50, 100], maxCanaryStepPercent: 50 };
export const BUDGET_DEFAULTS: BudgetConfig = { maxShadowsPerService: 4, maxShadowsTotal: 16, shadowHourlyCost: 0 };

const count = (description: string, dflt: number) => ({ type: "integer" as const, minimum: 0, default: dflt, description });

export const PLACEMENT_SCHEMA: PolicyConfigSchema = {
  properties: { topologyKeys: { type: "array", items: { type: "string" }, default: PLACEMENT_DEFAULTS.topologyKeys, description: "Node labels whose values count as different hosts for kubernetes anti-affinity." } },
};

export const CANARY_SCHEMA: PolicyConfigSchema = {
  properties: {
    canarySteps: { type: "array", items: { type: "integer", minimum: 0, maximum: 100 }, default: CANARY_DEFAULTS.canarySteps, description: "Shares (percent) the shadows move through, when understudy:policy.canary.steps is not set." },
    maxCanaryStepPercent: { type: "integer", minimum: 1, maximum: 100, default: CANARY_DEFAULTS.maxCanaryStepPercent, description: "Largest allowed step between two shares." },
  },
};

export const BUDGET_SCHEMA: PolicyConfigSchema = {
  properties: {
    maxShadowsPerService: count("Most shadow instances one service may keep (understudy:policy.maxShadows may only lower it).", BUDGET_DEFAULTS.maxShadowsPerService),
    maxShadowsTotal: count("Most shadow instances the stack may keep.", BUDGET_DEFAULTS.maxShadowsTotal),
    shadowHourlyCost: { type: "number", minimum: 0, default: 0, description: "Price of one shadow instance-hour when understudy:policy.cost has none." },
    maxShadowCostPerHour: { type: "number", minimum: 0, description: "Most the shadows may cost per hour; unset = no spend limit." },
  },
};
