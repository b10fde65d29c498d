// One trace through every strategy: record understudy's forecasts once (long enough for the longest
// cold start), then replay each strategy on the virtual cluster at every cold start, and the
// understudy cost sweep at the headline one. Times every part.
import type { ForecastOptions, ModelKind, Point } from "../../automation/forecast";
import { Policy, horizonSteps } from "../../automation/decide";
import {
  ForecastTape,
  Oracle,
  PROMOTION,
  Phpa,
  ReactiveHpa,
  SimParams,
  SimResult,
  Strategy,
  Timeline,
  Trace,
  Understudy,
  leadSteps,
  prepareTrace,
  recordTape,
  simulate,
} from "../../automation/simulate";
import { COLD_STARTS, HPA, PARAMS, REFIT, RUNNER_INTERVAL_SEC, SWEEP, TARGET_UTILISATION, benchPolicy, refitEverySec } from "./setup";

/** One strategy on one trace at one cold start. */
export interface BenchRow extends SimResult {
  coldStartSec: number;
}

export interface SweepRow extends BenchRow {
  degradedCostPerMinute: number;
}

/** Wall-clock and this process's CPU seconds (the machine is shared: CPU time is the steadier figure). */
export interface Seconds {
  wall: number;
  cpu: number;
}

export interface SeriesTiming {
  series: string;
  replayDays: number;
  stepSec: number;
  points: number;
  /** Recording understudy's forecasts (fits, updates, predictions). */
  tape: Seconds;
  fits: number;
  /** Replaying each strategy at the headline cold start (phpa's includes its own model's fits). */
  replay: Record<string, Seconds>;
  /** Everything one understudy run needs: its tape plus its replay. */
  understudy: Seconds;
}

/** A trace and understudy's recorded forecasts: what every replay of it shares. */
export interface PreparedSeries {
  name: string;
  trace: Trace;
  tape: ForecastTape;
  tapeSeconds: Seconds;
  replayDays: number;
  forecastOptions: ForecastOptions;
}

export interface SeriesRun {
  rows: BenchRow[];
  sweep: SweepRow[];
  /** Per strategy, at the headline cold start. */
  timelines: Record<string, Timeline>;
  timing: SeriesTiming;
}

export function timed<T>(f: () => T): [T, Seconds] {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(cpu);
  return [value, { wall: Number(process.hrtime.bigint() - wall) / 1e9, cpu: (used.user + used.system) / 1e6 }];
}

const withColdStart = (coldStartSec: number): SimParams => ({ ...PARAMS, coldStartSec });

export function prepareSeries(name: string, raw: Point[], forecastOptions: ForecastOptions, kind: ModelKind, policy: Policy = benchPolicy()): PreparedSeries {
  const trace = prepareTrace(raw);
  const history = trace.points.slice(0, trace.start);
  const replay = trace.points.slice(trace.start);
  const hSteps = horizonSteps(policy, trace.stepSec);
  const steps = Math.max(hSteps, leadSteps(withColdStart(Math.max(...COLD_STARTS)), trace.stepSec));
  const replayDays = (replay[replay.length - 1].t - replay[0].t) / 86_400_000;
  const refit = { refitEverySec: refitEverySec(replayDays), fitWindowSec: REFIT.fitWindowSec };
  const [tape, tapeSeconds] = timed(() => recordTape(history, replay, { kind, options: forecastOptions, ...refit, steps, rise: { r: policy.riseThreshold, steps: hSteps } }));
  return { name, trace, tape, tapeSeconds, replayDays, forecastOptions };
}

export const understudy = (s: PreparedSeries, policy: Policy, name = "understudy"): Understudy =>
  new Understudy(s.tape, { stepSec: s.trace.stepSec, policy, hosts: PARAMS.maxInstances, intervalSec: RUNNER_INTERVAL_SEC }, name);

export const oracle = (s: PreparedSeries, p: SimParams): Oracle => new Oracle(s.trace, p, TARGET_UTILISATION);

/**
 * Every strategy at every cold start: reactive-hpa, phpa, understudy on the local platform's role
 * changes (promotion warm in place, demotion a cold restart), understudy-warm (the same decisions with
 * a warm flip both ways), oracle.
 */
export function runSeries(s: PreparedSeries, policy: Policy = benchPolicy()): SeriesRun {
  const { name, trace } = s;
  const replaySeconds: Record<string, Seconds> = {};
  const timelines: Record<string, Timeline> = {};
  const rows: BenchRow[] = [];
  const phpaOptions = { hpa: HPA, forecast: s.forecastOptions, refitEverySec: refitEverySec(s.replayDays), fitWindowSec: REFIT.fitWindowSec };
  for (const coldStartSec of COLD_STARTS) {
    const p = withColdStart(coldStartSec);
    const headline = coldStartSec === PARAMS.coldStartSec;
    const run = (strategy: Strategy, params = p): void => {
      const [{ result, timeline }, used] = timed(() => simulate(name, trace, strategy, params));
      if (headline) {
        replaySeconds[strategy.name] = used;
        timelines[strategy.name] = timeline;
      }
      rows.push({ ...result, coldStartSec });
    };
    run(new ReactiveHpa(HPA));
    run(new Phpa(trace, p, phpaOptions));
    run(understudy(s, policy));
    run(understudy(s, policy, "understudy-warm"), { ...p, promotion: PROMOTION["warm-flip"] });
    run(oracle(s, p));
  }
  const main = rows.find((r) => r.strategy === "understudy" && r.coldStartSec === PARAMS.coldStartSec) as BenchRow;
  const sweep = SWEEP.map((c): SweepRow => {
    if (c === PARAMS.degradedCostPerMinute) return { ...main, strategy: `understudy $${c}/min`, degradedCostPerMinute: c };
    const result = simulate(name, trace, understudy(s, benchPolicy(undefined, c, 10 * c), `understudy $${c}/min`), PARAMS).result;
    return { ...result, coldStartSec: PARAMS.coldStartSec, degradedCostPerMinute: c };
  });
  const us = replaySeconds.understudy;
  return {
    rows,
    sweep,
    timelines,
    timing: {
      series: name,
      replayDays: s.replayDays,
      stepSec: trace.stepSec,
      points: trace.points.length,
      tape: s.tapeSeconds,
      fits: s.tape.fits,
      replay: replaySeconds,
      understudy: { wall: s.tapeSeconds.wall + us.wall, cpu: s.tapeSeconds.cpu + us.cpu },
    },
  };
}
