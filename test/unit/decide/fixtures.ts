// Builders for decide() tests: one service "orders" on 8 hosts, instances that serve 100 req/s at
// 100 % CPU, forecasts with a chosen median, spread and P(rise).
import { DecideState, Decision, InstanceObservation, Observations, Policy, ServiceForecast, ServiceState, decide, parsePolicy, summariseForecast } from "../../../automation/decide";

export const T0 = Date.UTC(2024, 0, 1, 12);
export const HOSTS = ["h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8"];

export const policyWith = (over: Record<string, unknown> = {}): Policy => parsePolicy(over);

export function serviceState(over: Partial<ServiceState> = {}): ServiceState {
  return {
    replicas: 2,
    shadows: 1,
    weightPercent: 0,
    mirrorPercent: 0,
    maxLagSec: 5,
    canary: { status: "idle", step: -1, stepStartedAt: null, reason: null },
    // A recent scale-up: nothing scales down unless a case says the window is over.
    lastScaleUpAt: T0 - 60_000,
    lastScaleDownAt: null,
    lastTriggerAt: null,
    recommendations: [],
    lowSince: null,
    capacityPerInstance: 100,
    drained: [],
    ...over,
  };
}

export const stateWith = (over: Partial<ServiceState> = {}): DecideState => ({ platform: "local", hosts: [...HOSTS], services: { orders: serviceState(over) } });

/** A healthy, fresh instance on `host`; CPU 0.5 at 50 req/s (capacity 100 req/s) unless overridden. */
export function instance(host: string, role: InstanceObservation["role"], over: Partial<InstanceObservation> = {}): InstanceObservation {
  return { instance: `orders-${role}-${host}`, host, role, at: T0, requestRate: 50, cpu: 0.5, p99Ms: 20, errorRate: 0, up: true, replicationLagSec: 0.1, ...over };
}

export const live = (host: string, over: Partial<InstanceObservation> = {}): InstanceObservation => instance(host, "live", over);
export const shadow = (host: string, over: Partial<InstanceObservation> = {}): InstanceObservation => instance(host, "shadow", { requestRate: 0, cpu: 0.02, ...over });

export const observe = (instances: InstanceObservation[], now = T0): Observations => ({ now, services: { orders: instances } });

/** Quantiles m × (1 + z·spread) at the z-scores of QUANTILES (a Gaussian-shaped forecast). */
export function quantilesAround(median: number, spread: number): number[] {
  return [-1.645, -1.2816, 0, 0.8416, 1.2816, 1.645].map((z) => Math.max(0, median * (1 + z * spread)));
}

export interface ForecastShape {
  current: number;
  /** Median of every step (default: current). */
  median?: number;
  spread?: number;
  pRise?: number;
  stepSec?: number;
  steps?: number;
  at?: number;
}

export function forecastOf(shape: ForecastShape, policy: Policy = policyWith()): ServiceForecast {
  const at = shape.at ?? T0;
  const stepSec = shape.stepSec ?? 300;
  const steps = Array.from({ length: shape.steps ?? 3 }, (_, i) => ({ t: at + (i + 1) * stepSec * 1000, quantiles: quantilesAround(shape.median ?? shape.current, shape.spread ?? 0.05) }));
  return summariseForecast({ at, currentLoad: shape.current, stepSec, steps, pRise: shape.pRise ?? 0.1 }, policy);
}

export interface Case {
  state?: Partial<ServiceState>;
  instances: InstanceObservation[];
  forecast?: ForecastShape | null;
  policy?: Record<string, unknown>;
  now?: number;
}

/** Runs decide() on one case; the forecast defaults to a flat one at the live instances' total rate. */
export function run(c: Case): Decision {
  const policy = policyWith(c.policy);
  const load = c.instances.filter((o) => o.role === "live").reduce((s, o) => s + (o.requestRate ?? 0), 0);
  const forecast = c.forecast === null ? undefined : forecastOf(c.forecast ?? { current: load }, policy);
  return decide(stateWith(c.state), observe(c.instances, c.now), { orders: forecast }, policy);
}

export const kinds = (d: Decision): string[] => d.changes.map((c) => c.kind);
