// One iteration: observe → forecast → decide → apply → record. decide() is the pure core; this is
// the shell around it.
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { StackSpec } from "../../components/config";
import { decide, DecideState, Forecasts, parsePolicy, Policy, stateFromConfig } from "../decide";
import { preflight } from "../engine";
import { Point } from "../forecast";
import { MetricsSource } from "../metrics/source";
import type { PlatformRuntime } from "../platform/seams";
import { applyChanges, ApplyResult } from "./apply";
import { Clock } from "./clock";
import { forecastService, ForecastSettings } from "./forecasting";
import { appendRecord, RunnerMetrics, TickRecord } from "./record";
import { loadState, saveState } from "./state";

export interface RunnerContext {
  root: string;
  stack: Stack;
  /** The runner's own folder (state, decision log). */
  dir: string;
  metrics: MetricsSource;
  /** The stack's platform: how it is observed and how traffic moves before an `up`. */
  runtime: PlatformRuntime;
  clock: Clock;
  dryRun: boolean;
  forecast: ForecastSettings;
  /** History to fit on, per service (a replayed trace); default: Prometheus' record of the load. */
  history?: (service: string) => Point[];
  runnerMetrics?: RunnerMetrics;
  /** Policy overrides on top of `understudy:policy` (the main job's compressed clock needs its own windows). */
  policyOverrides?: Record<string, unknown>;
  onOutput?: (s: string) => void;
}

async function promHistory(ctx: RunnerContext, service: string, now: number, stepSec: number): Promise<Point[]> {
  const wallNow = Date.now();
  const series = await (ctx.runtime.metrics ?? ctx.metrics).range(ctx.runtime.observer.loadQuery(service), wallNow - 6 * 3600_000, wallNow, stepSec);
  return (series[0]?.points ?? []).filter((p) => Number.isFinite(p.v)).map((p) => ({ t: now - (wallNow - p.t) * ctx.clock.compress, v: p.v }));
}

export async function tick(ctx: RunnerContext): Promise<TickRecord> {
  const t0 = Date.now();
  const now = ctx.clock.now();
  const saved = loadState(ctx.dir);
  const spec: StackSpec = await preflight(ctx.stack);
  const config = await ctx.stack.getAllConfig();
  const configured = config["understudy:policy"]?.value ? (JSON.parse(config["understudy:policy"].value) as Record<string, unknown>) : {};
  const policy: Policy = parsePolicy({ ...configured, ...ctx.policyOverrides });
  let observed;
  try {
    observed = await ctx.runtime.observer.observe(spec, now);
  } catch (e) {
    // Prometheus unreachable is missing data, not a crash: decide() holds and says why.
    observed = { observations: { now, services: Object.fromEntries(spec.services.map((s) => [s.name, []])) }, loads: {} };
    ctx.onOutput?.(`runner: metrics unavailable: ${(e as Error).message}\n`);
  }
  const { observations, loads } = observed;
  // Prometheus stamps samples in wall time; decide() lives on the runner's clock.
  const wallNow = Date.now();
  for (const list of Object.values(observations.services)) for (const o of list) o.at = now - (wallNow - o.at) * ctx.clock.compress;

  const forecasts: Forecasts = {};
  const fnotes: TickRecord["forecasts"] = {};
  for (const svc of spec.services) {
    const hist = ctx.history ? ctx.history(svc.name) : await promHistory(ctx, svc.name, now, 30);
    const step = forecastService(saved.forecasts[svc.name], () => hist, loads[svc.name], now, policy, ctx.forecast);
    forecasts[svc.name] = step.forecast;
    saved.forecasts[svc.name] = step.memory;
    fnotes[svc.name] = step.forecast ? { pRise: step.forecast.pRise, upper: step.forecast.upper, currentLoad: step.forecast.currentLoad, note: step.note } : undefined;
    if (step.forecast) {
      ctx.runnerMetrics?.pRise.set({ service: svc.name }, step.forecast.pRise);
      ctx.runnerMetrics?.upper.set({ service: svc.name }, step.forecast.upper);
    }
  }

  const state: DecideState = stateFromConfig(spec, now, saved.decide);
  const decision = decide(state, observations, forecasts, policy);
  let apply: ApplyResult | undefined;
  const held = decision.reasons.filter((r) => /hold/i.test(r));
  if (!ctx.dryRun && decision.changes.length > 0) {
    const fast = await ctx.runtime.router.beforeUp(spec, decision.changes);
    try {
      apply = await applyChanges(ctx.stack, spec, decision.changes, ctx.onOutput);
    } catch (e) {
      await fast.undo();
      throw e;
    }
    if (!apply.applied) await fast.undo();
    if (fast.done.length > 0) apply = { ...apply, summary: `${fast.done.join("; ")}; ${apply.summary ?? apply.skipped ?? ""}` };
    if (apply.upMs !== undefined) ctx.runnerMetrics?.upSeconds.observe(apply.upMs / 1000);
  }
  // In dry-run nothing was applied, so the state the decision assumed is not kept either.
  saved.decide = ctx.dryRun || (apply && !apply.applied && decision.changes.length > 0) ? saved.decide : decision.state;
  saveState(ctx.dir, saved);
  for (const c of decision.changes) ctx.runnerMetrics?.decisions.inc({ service: c.service, kind: c.kind });
  const record: TickRecord = {
    at: new Date(t0).toISOString(),
    clock: now,
    dryRun: ctx.dryRun,
    held,
    loads,
    forecasts: fnotes,
    changes: decision.changes,
    reasons: decision.reasons,
    cost: decision.costEstimate,
    apply,
    tickMs: Date.now() - t0,
  };
  appendRecord(path.join(ctx.dir, "decisions.jsonl"), record);
  ctx.runnerMetrics?.tickSeconds.observe(record.tickMs / 1000);
  ctx.runnerMetrics?.ticks.inc({ outcome: decision.changes.length > 0 ? (ctx.dryRun ? "decided" : "applied") : "held" });
  return record;
}
