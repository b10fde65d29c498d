// What every point model offers the forecaster: forecasts from the current state, and an online step.
import { Series } from "../series";

export interface PointModel {
  /** A short description with the variant chosen at fit, e.g. "holt-winters (additive, daily)". */
  readonly description: string;
  /** Point forecasts for the `h` slots after the last observed one. Throws ModelFailure when it cannot. */
  forecast(series: Series, h: number): number[];
  /** Moves the state on by the slot just pushed onto `series` (without refitting). */
  observe(series: Series): void;
  toJSON(): unknown;
}

/** A model that cannot forecast this tick (diverged, not trained); the reason goes to the notes. */
export class ModelFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelFailure";
  }
}

export interface Periods {
  /** Slots per day, or null when the step does not divide a day (or a day is under 2 slots). */
  daily: number | null;
  weekly: number | null;
}

const DAY_MS = 86_400_000;

export function periodsFor(stepMs: number): Periods {
  const perDay = DAY_MS / stepMs;
  if (!Number.isInteger(perDay) || perDay < 2) return { daily: null, weekly: null };
  return { daily: perDay, weekly: 7 * perDay };
}

/** The latest clean value: persistence that does not carry a flagged spike forward. */
export function lastCleanValue(series: Series): number {
  for (let i = series.end - 1; i >= series.first; i--) if (series.flag(i) === 0) return series.value(i);
  return series.value(series.end - 1);
}
