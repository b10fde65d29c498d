// The anomaly sentinel: a Holt-Winters model whose one-step residuals feed the robust z-score detector.
// Every forecaster kind keeps one, so anomaly flags (inputs to the LSTM, exclusions for the statistical
// models) do not depend on which model is forecasting. At fit it runs twice: once to find the
// anomalies, once refitted without them, so a spike in the history does not bend the parameters.
import { DetectorOptions, RobustZDetector } from "./anomaly";
import { Calendar } from "./calendar";
import { HoltWinters, HwChoice, fitHoltWinters } from "./models/holt-winters";
import { Periods } from "./models/model";
import { ANOMALY, IMPUTED, Series } from "./series";
import { median } from "./stats";

/** Load in the residual space shared by the detector and the calibration. */
export const logLoad = (y: number, offset: number): number => Math.log(Math.max(y, 0) + offset);

/**
 * The offset added before the log: a tenth of the typical clean load, so relative errors rule at normal
 * loads while near-zero loads (and zeros) do not explode.
 */
export function logOffset(values: readonly number[], flags: readonly number[]): number {
  const typical = median(values.filter((_, i) => flags[i] === 0));
  const largest = values.reduce((m, v) => Math.max(m, v), 0);
  return Math.max(0.1 * (Number.isFinite(typical) ? typical : 0), 1e-6 * largest, 1e-9);
}

export interface Sentinel {
  model: HoltWinters;
  detector: RobustZDetector;
}

/**
 * Judges the slot about to be pushed: its flags with ANOMALY added when the detector says so, and the
 * robust z-score (0 for interpolated slots, which are not judged).
 */
export function screen(sentinel: Sentinel, series: Series, value: number, flag: number, offset: number): { flag: number; z: number } {
  if ((flag & IMPUTED) !== 0) return { flag, z: 0 };
  const expected = sentinel.model.forecast(series, 1)[0];
  const verdict = sentinel.detector.observe(logLoad(value, offset) - logLoad(expected, offset));
  return { flag: verdict.anomaly ? flag | ANOMALY : flag, z: verdict.z };
}

export interface SentinelFit {
  sentinel: Sentinel;
  /** The history with anomaly flags set, ready for the forecasting models. */
  series: Series;
  notes: string[];
  anomalies: number;
}

export interface SentinelSetup {
  t0: number;
  stepMs: number;
  values: readonly number[];
  flags: readonly number[];
  calendar: Calendar;
  capacity: number;
  periods: Periods;
  choice: HwChoice;
  /** Steps ahead whose squared errors the Holt-Winters parameters minimise. */
  fitHorizon: number;
  detector: DetectorOptions;
  offset: number;
}

function seriesOf(setup: SentinelSetup, flags: readonly number[]): Series {
  return new Series(setup.t0, setup.stepMs, 0, [...setup.values], [...flags], setup.calendar, setup.capacity);
}

/** Replays the history through a fresh detector, slot by slot, as update() would have seen it. */
function replay(setup: SentinelSetup, initial: HoltWinters): { sentinel: Sentinel; series: Series } {
  const series = new Series(setup.t0, setup.stepMs, 0, [], [], setup.calendar, Math.max(setup.capacity, setup.values.length));
  const sentinel = { model: initial, detector: new RobustZDetector(setup.detector) };
  setup.values.forEach((value, i) => {
    series.push(value, screen(sentinel, series, value, setup.flags[i], setup.offset).flag);
    sentinel.model.observe(series);
  });
  return { sentinel, series };
}

export function fitSentinel(setup: SentinelSetup): SentinelFit {
  const notes: string[] = [];
  const first = fitHoltWinters(seriesOf(setup, setup.flags), setup.periods, setup.choice, setup.fitHorizon, notes);
  const found = replay(setup, HoltWinters.initial(seriesOf(setup, setup.flags), first.spec, first.params));
  const flagged = Array.from({ length: setup.values.length }, (_, i) => found.series.flag(i));
  const cleaned = seriesOf(setup, flagged);
  const refit = HoltWinters.fit(cleaned, first.spec, setup.fitHorizon, first.params).model;
  const { sentinel, series } = replay(setup, HoltWinters.initial(cleaned, refit.spec, refit.params));
  let anomalies = 0;
  for (let i = series.first; i < series.end; i++) if ((series.flag(i) & ANOMALY) !== 0) anomalies++;
  return { sentinel, series: seriesOf(setup, Array.from({ length: setup.values.length }, (_, i) => series.flag(i))), notes, anomalies };
}
