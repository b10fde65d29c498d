// Anomaly detection over a whole series, as the forecaster's sentinel would have flagged it online:
// fitted on a warm-up prefix, then fed one slot at a time. For benchmarks and offline review.
import { Calendar, makeCalendar } from "./calendar";
import { periodsFor } from "./models/model";
import { resolveOptions } from "./options";
import { prepare } from "./prepare";
import { fitSentinel, logOffset, screen } from "./sentinel";
import { ANOMALY, IMPUTED } from "./series";
import { ForecastOptions, Point } from "./types";
import { capacityFor, defaultHorizon, fitHorizon } from "./forecaster";

export interface AnomalyScan {
  stepMs: number;
  /** First slot judged online; the ones before are the warm-up the sentinel was fitted on. */
  warmup: number;
  slots: { t: number; v: number; z: number; anomaly: boolean; imputed: boolean }[];
}

export function detectAnomalies(points: Point[], options: ForecastOptions & { warmupFraction?: number } = {}): AnomalyScan {
  const o = resolveOptions(options);
  const { grid } = prepare(points, o.stepMs, o.maxValue);
  const calendar: Calendar = makeCalendar(o.timeZone, o.events);
  const periods = periodsFor(grid.stepMs);
  const horizon = o.calibratedSteps ?? defaultHorizon(grid.stepMs);
  const warmup = Math.max(2, Math.floor(grid.values.length * (options.warmupFraction ?? 0.15)));
  const values = grid.values.slice(0, warmup);
  const flags = grid.flags.slice(0, warmup);
  const offset = logOffset(values, flags);
  const fit = fitSentinel({
    t0: grid.t0,
    stepMs: grid.stepMs,
    values,
    flags,
    calendar,
    capacity: capacityFor(periods, horizon, o.lstm.window),
    periods,
    choice: { seasonality: o.hwSeasonality, errorType: o.hwErrorType },
    fitHorizon: fitHorizon(grid.stepMs, horizon),
    detector: { threshold: o.anomalyThreshold, window: o.anomalyWindow, maxRun: o.anomalyMaxRun },
    offset,
  });
  const { series, sentinel } = fit;
  const slots: AnomalyScan["slots"] = values.map((v, i) => ({ t: series.time(i), v, z: 0, anomaly: (series.flag(i) & ANOMALY) !== 0, imputed: (flags[i] & IMPUTED) !== 0 }));
  for (let i = warmup; i < grid.values.length; i++) {
    const v = grid.values[i];
    const verdict = screen(sentinel, series, v, grid.flags[i], offset);
    series.push(v, verdict.flag);
    sentinel.model.observe(series);
    slots.push({ t: series.time(i), v, z: verdict.z, anomaly: (verdict.flag & ANOMALY) !== 0, imputed: (grid.flags[i] & IMPUTED) !== 0 });
  }
  return { stepMs: grid.stepMs, warmup, slots };
}
