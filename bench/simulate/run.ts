// One trace through every strategy: record the forecasts once, replay each strategy on the virtual
// cluster, then the understudy cost sweep on the same tapes. Times every part.
import type { ForecastOptions, ModelKind, Point } from "../../automation/forecast";
import { horizonSteps } from "../../automation/decide";
import {
  ForecastTape,
  Oracle,
  PredictiveHoltWinters,
  ReactiveHpa,
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
import { HPA, PARAMS, REFIT, SWEEP, benchPolicy } from "./setup";

export interface SweepRow extends SimResult {
  degradedCostPerMinute: number;
}

export interface SeriesTiming {
  series: string;
  replayDays: number;
  stepSec: number;
  points: number;
  /** Recording the forecasts (fits, updates, predictions), per model kind. */
  tapeSeconds: Record<string, number>;
  fits: number;
  /** Replaying each strategy on the recorded forecasts. */
  simSeconds: Record<string, number>;
  /** Everything one understudy run needs: its tape plus its replay. */
  understudySeconds: number;
}

export interface SeriesRun {
  trace: Trace;
  rows: SimResult[];
  sweep: SweepRow[];
  timelines: Record<string, Timeline>;
  timing: SeriesTiming;
}

const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;

export function runSeries(name: string, raw: Point[], forecastOptions: ForecastOptions, understudyKind: ModelKind): SeriesRun {
  const trace = prepareTrace(raw);
  const history = trace.points.slice(0, trace.start);
  const replay = trace.points.slice(trace.start);
  const policy = benchPolicy();
  const hSteps = horizonSteps(policy, trace.stepSec);
  const steps = Math.max(hSteps, leadSteps(PARAMS, trace.stepSec));
  const tapeSeconds: Record<string, number> = {};
  const tape = (kind: ModelKind): ForecastTape => {
    const t = process.hrtime.bigint();
    const recorded = recordTape(history, replay, { kind, options: forecastOptions, ...REFIT, steps, rise: { r: policy.riseThreshold, steps: hSteps } });
    tapeSeconds[kind] = seconds(t);
    return recorded;
  };
  const hwTape = tape("holt-winters");
  const usTape = understudyKind === "holt-winters" ? hwTape : tape(understudyKind);

  const simSeconds: Record<string, number> = {};
  const timelines: Record<string, Timeline> = {};
  const run = (strategy: Strategy): SimResult => {
    const t = process.hrtime.bigint();
    const { result, timeline } = simulate(name, trace, strategy, PARAMS);
    simSeconds[strategy.name] = seconds(t);
    timelines[strategy.name] = timeline;
    return result;
  };
  const rows = [
    run(new ReactiveHpa(HPA)),
    run(new PredictiveHoltWinters(hwTape, PARAMS, HPA)),
    run(new Understudy(usTape, trace.stepSec, policy, PARAMS.maxInstances)),
    run(new Oracle(trace, PARAMS)),
  ];
  const main = rows[2];
  const sweep = SWEEP.map((c) => {
    if (c === PARAMS.degradedCostPerMinute) return { ...main, strategy: `understudy $${c}/min`, degradedCostPerMinute: c };
    const strategy = new Understudy(usTape, trace.stepSec, benchPolicy(c, 10 * c), PARAMS.maxInstances, `understudy $${c}/min`);
    return { ...simulate(name, trace, strategy, PARAMS).result, degradedCostPerMinute: c };
  });
  return {
    trace,
    rows,
    sweep,
    timelines,
    timing: {
      series: name,
      replayDays: (replay[replay.length - 1].t - replay[0].t) / 86_400_000,
      stepSec: trace.stepSec,
      points: trace.points.length,
      tapeSeconds,
      fits: usTape.fits,
      simSeconds,
      understudySeconds: tapeSeconds[understudyKind] + simSeconds.understudy,
    },
  };
}
