// The decision policy (stack config key `understudy:policy`): parsed and validated once, so the rules
// can trust it. Errors name the full key, like the rest of the stack config.
import { ConfigError, NAMESPACE, objectAt, parseValue, PlatformName } from "../../components/config";
import { CanaryPolicy, DEFAULT_CANARY } from "../canary/rollout";
import { QUANTILES } from "../forecast";

export interface CostPolicy {
  /** Price of one instance-hour by "<platform>/<instanceType>", "<platform>" or "default". */
  instancePricePerHour: Record<string, number>;
  /** Instance type per service, for the price lookup. */
  instanceTypes: Record<string, string>;
  downtimeCostPerMinute: number;
  degradedCostPerMinute: number;
}

export interface Policy {
  /** r: a rise of this fraction of the current load is what the trigger watches for. */
  riseThreshold: number;
  /** H: how far ahead the rules look. */
  horizonSec: number;
  /** P(rise ≥ r within H) at or above this turns mirroring on and keeps at least one shadow. */
  confidence: number;
  /** The forecast quantile that bounds load from above (one of QUANTILES). */
  upperQuantile: number;
  /** A live instance above this CPU (0–1) is overloaded: promote a shadow. */
  cpuThreshold: number;
  /** Live instances are sized to run at this CPU (0–1). */
  targetUtilisation: number;
  minShadows: number;
  maxShadows: number;
  maxReplicas: number;
  /** Mirror percent while the trigger holds. */
  mirrorPercent: number;
  /** Mirror percent otherwise (mirroring costs capacity; unmirrored shadows are cold when promoted). */
  idleMirrorPercent: number;
  /** Scale-down and mirroring-off wait this long after the last reason to keep capacity. */
  stabilisationSec: number;
  /** A host drained for failing is avoided until healthy for stabilisationSec, or for this long. */
  quarantineSec: number;
  consolidation: { floor: number; windowSec: number };
  /** The rollout rule's steps and judge: the same policy type and defaults as the CLI canary. */
  canary: CanaryPolicy;
  maxChangesPerTick: number;
  staleAfterSec: number;
  cost: CostPolicy;
}

export const DEFAULT_POLICY: Policy = {
  riseThreshold: 0.2,
  horizonSec: 300,
  confidence: 0.8,
  upperQuantile: 0.9,
  cpuThreshold: 0.95,
  targetUtilisation: 0.6,
  minShadows: 0,
  maxShadows: 8,
  maxReplicas: 64,
  mirrorPercent: 100,
  idleMirrorPercent: 0,
  stabilisationSec: 300,
  quarantineSec: 1800,
  consolidation: { floor: 0.3, windowSec: 900 },
  canary: DEFAULT_CANARY,
  maxChangesPerTick: 5,
  staleAfterSec: 30,
  cost: { instancePricePerHour: { default: 0.1 }, instanceTypes: {}, downtimeCostPerMinute: 10, degradedCostPerMinute: 1 },
};

const KEY = `${NAMESPACE}:policy`;
type Raw = Record<string, unknown>;

/** Stack config hands objects over as JSON text and numbers as strings; accept both forms. */
function fromText(key: string, v: unknown): unknown {
  const p = parseValue(key, v);
  if (typeof p !== "string") return p;
  const t = p.trim();
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : p;
}

/** Object-valued policy keys: the stack config's own parser (JSON text accepted, unknown keys refused). */
function object(key: string, v: unknown, allowed: readonly string[] | null): Raw {
  return objectAt(key, v, allowed ? [...allowed] : undefined);
}

function num(key: string, v: unknown, dflt: number, min: number, max: number, integer = false): number {
  const x = v === undefined ? dflt : fromText(key, v);
  if (typeof x !== "number" || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
    throw new ConfigError(key, `must be ${integer ? "an integer" : "a number"}, got ${JSON.stringify(v)}`);
  }
  if (x < min || x > max) throw new ConfigError(key, `must be between ${min} and ${max}, got ${x}`);
  return x;
}

const int = (key: string, v: unknown, dflt: number, min: number, max: number): number => num(key, v, dflt, min, max, true);

function numberMap(key: string, v: unknown, dflt: Record<string, number>): Record<string, number> {
  const o = object(key, v, null);
  const out = { ...dflt };
  for (const [k, x] of Object.entries(o)) out[k] = num(`${key}.${k}`, x, 0, 0, 1e6);
  return out;
}

function stringMap(key: string, v: unknown): Record<string, string> {
  const o = object(key, v, null);
  for (const [k, x] of Object.entries(o)) {
    if (typeof x !== "string" || x.trim() === "") throw new ConfigError(`${key}.${k}`, "must be a non-empty string");
  }
  return o as Record<string, string>;
}

function canarySteps(key: string, v: unknown, dflt: number[]): number[] {
  const raw = v === undefined ? dflt : fromText(key, v);
  if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError(key, "must be a non-empty list of percents");
  const steps = raw.map((x, i) => int(`${key}[${i}]`, x, 0, 1, 100));
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] <= steps[i - 1]) throw new ConfigError(key, `must be strictly increasing, got ${steps.join(", ")}`);
  }
  if (steps[steps.length - 1] !== 100) throw new ConfigError(key, `must end at 100 (all traffic on the shadows), got ${steps.join(", ")}`);
  return steps;
}

const POLICY_KEYS = [
  "riseThreshold", "horizonSec", "confidence", "upperQuantile", "cpuThreshold", "targetUtilisation", "minShadows", "maxShadows", "maxReplicas",
  "mirrorPercent", "idleMirrorPercent", "stabilisationSec", "quarantineSec", "consolidation", "canary", "maxChangesPerTick", "staleAfterSec", "cost",
];

/** Parses the value of `understudy:policy` (an object or its JSON text); absent keys take the defaults. Throws ConfigError. */
export function parsePolicy(value: unknown): Policy {
  const d = DEFAULT_POLICY;
  const o = object(KEY, value, POLICY_KEYS);
  const co = object(`${KEY}.consolidation`, o.consolidation, ["floor", "windowSec"]);
  const ca = object(`${KEY}.canary`, o.canary, ["steps", "intervalSec", "maxErrorRateDelta", "maxP99Ratio", "minRequests", "p99FloorMs"]);
  const cost = object(`${KEY}.cost`, o.cost, ["instancePricePerHour", "instanceTypes", "downtimeCostPerMinute", "degradedCostPerMinute"]);
  const cpuThreshold = num(`${KEY}.cpuThreshold`, o.cpuThreshold, d.cpuThreshold, 0.05, 1);
  const targetUtilisation = num(`${KEY}.targetUtilisation`, o.targetUtilisation, d.targetUtilisation, 0.05, 1);
  if (targetUtilisation >= cpuThreshold) {
    throw new ConfigError(`${KEY}.targetUtilisation`, `must be below cpuThreshold (${cpuThreshold}), got ${targetUtilisation}`);
  }
  const floor = num(`${KEY}.consolidation.floor`, co.floor, d.consolidation.floor, 0, 1);
  if (floor >= targetUtilisation) {
    throw new ConfigError(`${KEY}.consolidation.floor`, `must be below targetUtilisation (${targetUtilisation}), got ${floor}`);
  }
  const minShadows = int(`${KEY}.minShadows`, o.minShadows, d.minShadows, 0, 64);
  const maxShadows = int(`${KEY}.maxShadows`, o.maxShadows, d.maxShadows, 0, 64);
  if (minShadows > maxShadows) throw new ConfigError(`${KEY}.minShadows`, `must not exceed maxShadows (${maxShadows}), got ${minShadows}`);
  const mirrorPercent = int(`${KEY}.mirrorPercent`, o.mirrorPercent, d.mirrorPercent, 1, 100);
  const idleMirrorPercent = int(`${KEY}.idleMirrorPercent`, o.idleMirrorPercent, d.idleMirrorPercent, 0, 100);
  if (idleMirrorPercent > mirrorPercent) {
    throw new ConfigError(`${KEY}.idleMirrorPercent`, `must not exceed mirrorPercent (${mirrorPercent}), got ${idleMirrorPercent}`);
  }
  const upperQuantile = num(`${KEY}.upperQuantile`, o.upperQuantile, d.upperQuantile, 0, 1);
  if (!(QUANTILES as readonly number[]).includes(upperQuantile)) {
    throw new ConfigError(`${KEY}.upperQuantile`, `must be one of the forecast's quantiles ${QUANTILES.join(", ")}, got ${upperQuantile}`);
  }
  return {
    riseThreshold: num(`${KEY}.riseThreshold`, o.riseThreshold, d.riseThreshold, 0.01, 10),
    horizonSec: int(`${KEY}.horizonSec`, o.horizonSec, d.horizonSec, 1, 7 * 86_400),
    confidence: num(`${KEY}.confidence`, o.confidence, d.confidence, 0.01, 1),
    upperQuantile,
    cpuThreshold,
    targetUtilisation,
    minShadows,
    maxShadows,
    maxReplicas: int(`${KEY}.maxReplicas`, o.maxReplicas, d.maxReplicas, 1, 64),
    mirrorPercent,
    idleMirrorPercent,
    stabilisationSec: int(`${KEY}.stabilisationSec`, o.stabilisationSec, d.stabilisationSec, 0, 86_400),
    quarantineSec: int(`${KEY}.quarantineSec`, o.quarantineSec, d.quarantineSec, 0, 30 * 86_400),
    consolidation: { floor, windowSec: int(`${KEY}.consolidation.windowSec`, co.windowSec, d.consolidation.windowSec, 0, 7 * 86_400) },
    canary: {
      steps: canarySteps(`${KEY}.canary.steps`, ca.steps, d.canary.steps),
      intervalSec: int(`${KEY}.canary.intervalSec`, ca.intervalSec, d.canary.intervalSec, 1, 86_400),
      maxErrorRateDelta: num(`${KEY}.canary.maxErrorRateDelta`, ca.maxErrorRateDelta, d.canary.maxErrorRateDelta, 0, 1),
      maxP99Ratio: num(`${KEY}.canary.maxP99Ratio`, ca.maxP99Ratio, d.canary.maxP99Ratio, 1, 1000),
      minRequests: int(`${KEY}.canary.minRequests`, ca.minRequests, d.canary.minRequests, 0, 1_000_000_000),
      p99FloorMs: num(`${KEY}.canary.p99FloorMs`, ca.p99FloorMs, d.canary.p99FloorMs, 0, 60_000),
    },
    maxChangesPerTick: int(`${KEY}.maxChangesPerTick`, o.maxChangesPerTick, d.maxChangesPerTick, 1, 100),
    staleAfterSec: num(`${KEY}.staleAfterSec`, o.staleAfterSec, d.staleAfterSec, 1, 86_400),
    cost: {
      instancePricePerHour: numberMap(`${KEY}.cost.instancePricePerHour`, cost.instancePricePerHour, d.cost.instancePricePerHour),
      instanceTypes: stringMap(`${KEY}.cost.instanceTypes`, cost.instanceTypes),
      downtimeCostPerMinute: num(`${KEY}.cost.downtimeCostPerMinute`, cost.downtimeCostPerMinute, d.cost.downtimeCostPerMinute, 0, 1e9),
      degradedCostPerMinute: num(`${KEY}.cost.degradedCostPerMinute`, cost.degradedCostPerMinute, d.cost.degradedCostPerMinute, 0, 1e9),
    },
  };
}

/**
 * Price of one instance-hour of a service: "<platform>/<type>", then "<platform>", then "default" (the
 * parser always keeps a "default", so a price resolves on every platform).
 */
export function instancePrice(policy: Policy, platform: PlatformName, service: string): number {
  const prices = policy.cost.instancePricePerHour;
  const type = policy.cost.instanceTypes[service];
  const keys = [...(type ? [`${platform}/${type}`] : []), platform, "default"];
  for (const k of keys) if (prices[k] !== undefined) return prices[k];
  return DEFAULT_POLICY.cost.instancePricePerHour.default;
}
