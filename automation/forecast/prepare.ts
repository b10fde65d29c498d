// From raw history to the regular grid a fit works on, with every repair counted and explained.
import { Grid, absurdBound, cleanPoints, inferStep, resample } from "./series";
import { isFiniteNumber } from "./stats";
import { ForecastInputError } from "./types";

export interface Prepared {
  grid: Grid;
  /** Values above this are rejected as absurd, at fit and in later updates. */
  bound: number;
  rejected: number;
  clipped: number;
  notes: string[];
}

/** A year of minutes: beyond this the timestamps are more likely wrong (seconds, not ms) than real. */
const MAX_SLOTS = 525_600;

const minutes = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

export function prepare(history: unknown, stepMs: number | null, maxValue: number | null): Prepared {
  if (!Array.isArray(history)) throw new ForecastInputError("history must be an array of { t, v } points");
  if (history.length === 0) throw new ForecastInputError("empty series: there is nothing to fit");
  const values = (history as unknown[]).map((p) => (p as { v?: unknown } | null)?.v).filter(isFiniteNumber);
  const bound = absurdBound(values, maxValue ?? undefined);
  const { points, rejected, clipped } = cleanPoints(history, bound);
  if (points.length === 0) {
    throw new ForecastInputError(`unusable series: all ${history.length} points rejected (timestamp or value missing, NaN, infinite or absurd)`);
  }
  const step = stepMs ?? inferStep(points.map((p) => p.t).sort((a, b) => a - b));
  const first = points.reduce((m, p) => Math.min(m, p.t), Infinity);
  const last = points.reduce((m, p) => Math.max(m, p.t), -Infinity);
  const slots = (last - first) / step + 1;
  if (slots > MAX_SLOTS) {
    throw new ForecastInputError(`timestamps span ${Math.round(slots)} slots of ${minutes(step)} (over ${MAX_SLOTS}): check the timestamps are epoch milliseconds`);
  }
  const grid = resample(points, step);
  if (grid.values.length < 2) throw new ForecastInputError("series too short: fewer than two slots on the grid");
  const notes: string[] = [];
  if (rejected > 0) notes.push(`rejected ${rejected} point(s): bad timestamp, NaN, infinite, or above ${bound.toPrecision(4)} (absurd)`);
  if (clipped > 0) notes.push(`clipped ${clipped} negative value(s) to 0`);
  if (grid.resampled > 0) {
    const filled = grid.imputed > 0 ? `, ${grid.imputed} missing slot(s) interpolated (longest gap ${grid.largestGapSteps} steps)` : "";
    notes.push(`resampled to a ${minutes(step)} grid: ${grid.resampled - grid.imputed} slot(s) from off-grid or duplicate points${filled}`);
  }
  return { grid, bound, rejected, clipped, notes };
}
