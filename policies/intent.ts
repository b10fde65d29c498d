// What the stack config declares, as far as the policies need it: each service's consistency and
// replication mode, and from the runner's decision policy (`understudy:policy`) its shadow cap,
// canary ladder and instance prices. Read leniently: a value that does not parse is left out (the
// program and the runner reject a bad config with its key and rule; a policy only judges).
import { parseStackConfig } from "../components/config";
import { num, record } from "./model";

export interface ServiceIntent {
  name: string;
  consistency: "strong" | "eventual";
  mode: "sync" | "async";
  stateful: boolean;
}

export interface StackIntent {
  services: ServiceIntent[];
  /** The decision policy's maxShadows: the most shadows the runner may keep per service. */
  maxShadows?: number;
  /** The decision policy's canary.steps: the shares the runner moves shadows through. */
  canarySteps?: number[];
  /** Price of a service's instance-hour from the decision policy's cost model. */
  pricePerHour: (service: string) => number | undefined;
}

function json(v: unknown): unknown {
  if (typeof v !== "string" || !/^\s*[[{]/.test(v)) return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

function services(config: Record<string, string>): ServiceIntent[] {
  try {
    return parseStackConfig(config).services.map((s) => ({ name: s.name, consistency: s.consistency, mode: s.replication.mode, stateful: s.store !== undefined }));
  } catch {
    return [];
  }
}

export function stackIntent(config: Record<string, string>): StackIntent {
  const policy = record(json(config["understudy:policy"]));
  const canary = record(json(policy.canary));
  const cost = record(json(policy.cost));
  const prices = record(json(cost.instancePricePerHour));
  const types = record(json(cost.instanceTypes));
  const platform = config["understudy:platform"] ?? "local";
  const steps = json(canary.steps);
  return {
    services: services(config),
    maxShadows: num(policy.maxShadows),
    canarySteps: Array.isArray(steps) && steps.every((s) => num(s) !== undefined) ? steps.map((s) => num(s) ?? 0) : undefined,
    // The cost model's lookup order: "<platform>/<instanceType>", "<platform>", "default".
    pricePerHour: (service) => {
      const type = types[service];
      return num(typeof type === "string" ? prices[`${platform}/${type}`] : undefined) ?? num(prices[platform]) ?? num(prices.default);
    },
  };
}

export const noIntent: StackIntent = { services: [], pricePerHour: () => undefined };
