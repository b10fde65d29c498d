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
import { HPA, PARAMS, REFIT, SWEEP, benchPolicy, refitEverySec } from "./setup";

export interface SweepRow extends SimResult {
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
  /** Recording the forecasts (fits, updates, predictions), per model kind. */
  tape: Record<string, Seconds>;
  fits: number;
  /** Replaying each strategy on the recorded forecasts. */
  replay: Record<string, Seconds>;
  /** Everything one understudy run needs: its tape plus its replay. */
  understudy: Seconds;
}

export interface SeriesRun {
  trace: Trace;
  rows: SimResult[];
  sweep: SweepRow[];
  timelines: Record<string, Timeline>;
  timing: SeriesTiming;
}

function timed<T>(f: () => T): [T, Seconds] {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(cpu);
  return [value, { wall: Number(process.hrtime.bigint() - wall) / 1e9, cpu: (used.user + used.system) / 1e6 }];
}

export function runSeries(name: string, raw: Point[], forecastOptions: ForecastOptions, understudyKind: ModelKind): SeriesRun {
  const trace = prepareTrace(raw);
  const history = trace.points.slice(0, trace.start);
  const replay = trace.points.slice(trace.start);
  const policy = benchPolicy();
  const hSteps = horizonSteps(policy, trace.stepSec);
  const steps = Math.max(hSteps, leadSteps(PARAMS, trace.stepSec));
  const replayDays = (replay[replay.length - 1].t - replay[0].t) / 86_400_000;
  const refit = { refitEverySec: refitEverySec(replayDays), fitWindowSec: REFIT.fitWindowSec };
  const tapeSeconds: Record<string, Seconds> = {};
  const tape = (kind: ModelKind): ForecastTape => {
    const [recorded, used] = timed(() => recordTape(history, replay, { kind, options: forecastOptions, ...refit, steps, rise: { r: policy.riseThreshold, steps: hSteps } }));
    tapeSeconds[kind] = used;
    return recorded;
  };
  const hwTape = tape("holt-winters");
  const usTape = understudyKind === "holt-winters" ? hwTape : tape(understudyKind);

  const simSeconds: Record<string, Seconds> = {};
  const timelines: Record<string, Timeline> = {};
  const run = (strategy: Strategy): SimResult => {
    const [{ result, timeline }, used] = timed(() => simulate(name, trace, strategy, PARAMS));
    simSeconds[strategy.name] = used;
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
      replayDays,
      stepSec: trace.stepSec,
      points: trace.points.length,
      tape: tapeSeconds,
      fits: usTape.fits,
      replay: simSeconds,
      understudy: { wall: tapeSeconds[understudyKind].wall + simSeconds.understudy.wall, cpu: tapeSeconds[understudyKind].cpu + simSeconds.understudy.cpu },
    },
  };
}
