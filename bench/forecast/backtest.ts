// Rolling-origin evaluation of one series: fit on a window of history, then feed the following test
// period point by point through update() (as the runner would), forecasting at regular origins and
// scoring each forecast against what happened. No file I/O: main.ts loads and writes.
import { CalendarEvent, LstmOptions, ModelKind, Point, createForecaster } from "../../automation/forecast";
import { PipelineForecaster } from "../../automation/forecast/forecaster";
import { Ensemble } from "../../automation/forecast/models/ensemble";
import { prepare } from "../../automation/forecast/prepare";
import { FloorResult, floorCandidates, lookAheadFloor } from "./floor";
import { Outcome, Scores, naiveScale, score } from "./metrics";

export interface BacktestConfig {
  kinds: ModelKind[];
  /** Longest fit history, in days (at most half the series). */
  fitDays: number;
  /** Test period at the end of the series, in days (at most half the series). */
  testDays: number;
  /** Forecast origins per series and model at most (evenly spread over the test period). */
  maxOrigins: number;
  /** Horizons in minutes, besides one step. */
  horizonsMinutes: number[];
  rise: number;
  threshold: number;
  seed: number;
  lstm?: LstmOptions;
  /** Days at the end of the test period drawn in the plots. */
  plotDays: number;
}

export interface SeriesInput {
  name: string;
  points: Point[];
  timeZone?: string;
  events?: CalendarEvent[];
}

export interface Row extends Scores {
  series: string;
  model: ModelKind;
  /** The requested horizons this row answers ("1 step", "30 min", "60 min"): one row per distinct step count. */
  horizons: string[];
  horizonSteps: number;
  horizonMinutes: number;
  fitMs: number;
  /** CPU time of the fit (this process, user + system). */
  fitCpuMs: number;
  /**
   * Share of the fit window's origins where the rise event happened within this horizon: the Brier
   * skill is judged only where it is between 5 and 95 % (elsewhere the event is all but certain either
   * way and the skill means little).
   */
  fitBaseRate: number;
  /** Ensemble only: each member's weight at this horizon, averaged over the scored origins. */
  weights?: Record<string, number>;
  /** Mean time of one tick's forecasting work: predict() over the longest horizon plus one probabilityOfRise() per horizon. */
  predictMs: number;
  /** Mean time of update() with one new slot. */
  updateMs: number;
  /** Ensemble rows only: the look-ahead floor at this horizon (a diagnostic, not a forecaster; see floor.ts). */
  lookAheadFloor?: FloorResult;
}

export interface PlotTrace {
  times: number[];
  actual: number[];
  q10: number[];
  q50: number[];
  q90: number[];
  probability: number[];
  rose: boolean[];
  horizonMinutes: number;
}

/** The look-ahead floor (a diagnostic, not a forecaster: see floor.ts) at one horizon, on the targets every model was scored on. */
export interface FloorRow extends FloorResult {
  horizons: string[];
  horizonSteps: number;
}

export interface SeriesResult {
  series: string;
  stepMs: number;
  /** Slots per day (for describing the floor's seasonal candidates). */
  perDay: number;
  fitSlots: number;
  testSlots: number;
  rows: Row[];
  fitNotes: Record<string, string[]>;
  /** Per model, the trace at the horizon nearest 30 minutes, over the last plotDays. */
  plots: Partial<Record<ModelKind, PlotTrace>>;
  /** Per horizon: the look-ahead floor over the scored targets. */
  lookAheadFloor: FloorRow[];
}

const DAY_MS = 86_400_000;

interface Horizon {
  steps: number;
  labels: string[];
}

function horizonsFor(stepMs: number, minutes: readonly number[]): Horizon[] {
  const byStep = new Map<number, string[]>([[1, ["1 step"]]]);
  for (const m of minutes) {
    const steps = Math.max(1, Math.round((m * 60_000) / stepMs));
    byStep.set(steps, [...(byStep.get(steps) ?? []), `${m} min`]);
  }
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([steps, labels]) => ({ steps, labels }));
}

/**
 * Share of clean origins in [from, to − steps) where the load rose by `rise` within `steps` slots: the
 * event's base rate in the fit window, known before the test starts.
 */
export function riseRate(values: readonly number[], flags: readonly number[], from: number, to: number, steps: number, rise: number): number {
  let events = 0;
  let origins = 0;
  for (let i = from; i + steps < to; i++) {
    let clean = flags[i] === 0;
    let peak = -Infinity;
    for (let j = i + 1; j <= i + steps && clean; j++) {
      if (flags[j] !== 0) clean = false;
      peak = Math.max(peak, values[j]);
    }
    if (!clean) continue;
    origins++;
    if (peak >= (1 + rise) * values[i]) events++;
  }
  return origins > 0 ? events / origins : NaN;
}

export function backtestSeries(input: SeriesInput, config: BacktestConfig, onModel: (model: ModelKind) => void = () => undefined): SeriesResult {
  const { grid } = prepare(input.points, null, null);
  const { stepMs, values, flags } = grid;
  const n = values.length;
  const slotOf = (t: number): number => Math.round((t - grid.t0) / stepMs);
  const perDay = Math.max(1, Math.round(DAY_MS / stepMs));
  const testSlots = Math.min(Math.floor(n / 2), config.testDays * perDay);
  const testStart = n - testSlots;
  const fitStart = testStart - Math.min(testStart, config.fitDays * perDay);
  const fitPoints = input.points.filter((p) => slotOf(p.t) >= fitStart && slotOf(p.t) < testStart);
  const testGroups = new Map<number, Point[]>();
  for (const p of input.points) {
    const k = slotOf(p.t);
    if (k >= testStart) testGroups.set(k, [...(testGroups.get(k) ?? []), p]);
  }
  const horizons = horizonsFor(stepMs, config.horizonsMinutes);
  const longest = horizons[horizons.length - 1].steps;
  const plotHorizon = horizons.reduce((best, h) => (Math.abs(h.steps * stepMs - 30 * 60_000) < Math.abs(best.steps * stepMs - 30 * 60_000) ? h : best));
  const stride = Math.max(1, Math.floor(testSlots / config.maxOrigins));
  const scale = naiveScale(values.slice(fitStart, testStart), perDay * stepMs === DAY_MS && testStart - fitStart > perDay ? perDay : 1);
  const plotFrom = n - Math.min(testSlots, config.plotDays * perDay);

  const fitBaseRates = horizons.map((h) => riseRate(values, flags, fitStart, testStart, h.steps, config.rise));

  const result: SeriesResult = { series: input.name, stepMs, perDay, fitSlots: testStart - fitStart, testSlots, rows: [], fitNotes: {}, plots: {}, lookAheadFloor: [] };
  // The target slots scored at each horizon: the same for every model (same origins, same flags); kept from the last model run.
  let scoredTargets: number[][] = horizons.map(() => []);
  for (const kind of config.kinds) {
    const forecaster = createForecaster(kind, { seed: config.seed, timeZone: input.timeZone, events: input.events, lstm: config.lstm });
    let started = performance.now();
    const cpu = process.cpuUsage();
    const report = forecaster.fit(fitPoints);
    const fitMs = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);
    result.fitNotes[kind] = report.notes;
    const outcomes = horizons.map((): Outcome[] => []);
    const targets = horizons.map((): number[] => []);
    const trace: PlotTrace = { times: [], actual: [], q10: [], q50: [], q90: [], probability: [], rose: [], horizonMinutes: (plotHorizon.steps * stepMs) / 60_000 };
    const ensemble = forecaster instanceof PipelineForecaster && forecaster.fitted?.model instanceof Ensemble ? forecaster.fitted.model : null;
    const weightSums = horizons.map(() => new Map<string, number>());
    let predictMs = 0;
    let predictions = 0;
    let updateMs = 0;
    let updates = 0;
    for (const [k, points] of [...testGroups.entries()].sort((a, b) => a[0] - b[0])) {
      started = performance.now();
      forecaster.update(points);
      updateMs += performance.now() - started;
      updates++;
      if ((k - testStart) % stride !== 0) continue;
      started = performance.now();
      const forecast = forecaster.predict(longest);
      const probabilities = horizons.map((h) => forecaster.probabilityOfRise(config.rise, h.steps));
      predictMs += performance.now() - started;
      predictions++;
      // Before the online recalibration, for the report's "skill (raw)" (not timed).
      const raw = forecaster instanceof PipelineForecaster ? horizons.map((h) => forecaster.rawProbabilityOfRise(config.rise, h.steps)) : null;
      if (ensemble) {
        horizons.forEach((h, j) => {
          const w = ensemble.currentWeights(h.steps);
          ensemble.members.forEach((m, i) => weightSums[j].set(m.kind, (weightSums[j].get(m.kind) ?? 0) + w[i]));
        });
      }
      const origin = slotOf(forecast[0].t) - 1;
      horizons.forEach((h, j) => {
        const target = origin + h.steps;
        if (target >= n) return;
        let real = true;
        let peak = -Infinity;
        for (let i = origin; i <= target; i++) {
          if (flags[i] !== 0) real = false;
          if (i > origin) peak = Math.max(peak, values[i]);
        }
        if (!real) return;
        const outcome = { actual: values[target], quantiles: forecast[h.steps - 1].quantiles, probability: probabilities[j], rawProbability: raw?.[j], rose: peak >= (1 + config.rise) * values[origin] };
        outcomes[j].push(outcome);
        targets[j].push(target);
        if (h === plotHorizon && target >= plotFrom) {
          trace.times.push(grid.t0 + target * stepMs);
          trace.actual.push(outcome.actual);
          trace.q10.push(outcome.quantiles[1]);
          trace.q50.push(outcome.quantiles[2]);
          trace.q90.push(outcome.quantiles[4]);
          trace.probability.push(outcome.probability);
          trace.rose.push(outcome.rose);
        }
      });
    }
    horizons.forEach((h, j) => {
      result.rows.push({
        series: input.name,
        model: kind,
        horizons: h.labels,
        horizonSteps: h.steps,
        horizonMinutes: (h.steps * stepMs) / 60_000,
        ...score(outcomes[j], scale, config.threshold),
        fitMs,
        fitCpuMs: (user + system) / 1000,
        fitBaseRate: fitBaseRates[j],
        weights: ensemble ? Object.fromEntries([...weightSums[j]].map(([k, w]) => [k, predictions > 0 ? w / predictions : NaN])) : undefined,
        predictMs: predictions > 0 ? predictMs / predictions : NaN,
        updateMs: updates > 0 ? updateMs / updates : NaN,
      });
    });
    result.plots[kind] = trace;
    scoredTargets = targets;
    onModel(kind);
  }
  // Seasonal candidates only where a day is a whole number of slots and the lag reaches back into the data.
  const periods = perDay * stepMs === DAY_MS ? [perDay, 7 * perDay].filter((p) => p < testStart) : [];
  const candidates = floorCandidates(periods);
  result.lookAheadFloor = horizons.map((h, j) => ({ horizons: h.labels, horizonSteps: h.steps, ...lookAheadFloor(values, flags, scoredTargets[j], scale, candidates) }));
  for (const row of result.rows) {
    if (row.model !== "ensemble") continue;
    const floor = result.lookAheadFloor.find((f) => f.horizonSteps === row.horizonSteps);
    if (floor) {
      const { mase, candidate, candidateMase, combinationMase, targets, linearMase } = floor;
      row.lookAheadFloor = { mase, candidate, candidateMase, combinationMase, targets, linearMase };
    }
  }
  return result;
}
