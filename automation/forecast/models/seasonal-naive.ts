// Seasonal naive: tomorrow looks like today (or next week like this week). Calendar-aware: a step
// inside an event copies the last step in the same event state at the same phase, so a holiday is
// forecast from the last holiday rather than from yesterday; anomalous points are skipped when a clean
// one will do.
import { IMPUTED, Series } from "../series";
import { PointModel, Periods, lastCleanValue } from "./model";

export type Season = "daily" | "weekly";

export interface SeasonalNaiveJSON {
  kind: "seasonal-naive";
  season: Season | null;
  period: number | null;
}

/** Seasons searched back for a same-event, unflagged match before falling back to the nearest. */
const LOOKBACK_SEASONS: Record<Season, number> = { daily: 8, weekly: 3 };

export class SeasonalNaive implements PointModel {
  constructor(
    readonly season: Season | null,
    readonly period: number | null,
  ) {}

  static fromJSON(json: SeasonalNaiveJSON): SeasonalNaive {
    return new SeasonalNaive(json.season, json.period);
  }

  get description(): string {
    return this.season ? `seasonal-naive (${this.season})` : "seasonal-naive (no full season yet: persistence)";
  }

  forecast(series: Series, h: number): number[] {
    const out: number[] = [];
    for (let k = 1; k <= h; k++) out.push(this.valueFor(series, series.end - 1 + k));
    return out;
  }

  observe(): void {
    // Stateless: every forecast reads the series.
  }

  toJSON(): SeasonalNaiveJSON {
    return { kind: "seasonal-naive", season: this.season, period: this.period };
  }

  private valueFor(series: Series, target: number): number {
    const { period, season } = this;
    if (period === null || season === null) return lastCleanValue(series);
    const last = series.end - 1;
    const nearest = Math.ceil((target - last) / period);
    const event = series.calendarAt(target).event;
    const lags = Array.from({ length: LOOKBACK_SEASONS[season] }, (_, j) => target - (nearest + j) * period).filter((i) => i >= series.first);
    // A clean point in the same event state first; then one the detector flagged (an event day often
    // looks anomalous to it) but not an interpolated one; then simply the nearest season.
    const match =
      lags.find((i) => series.flag(i) === 0 && series.calendarAt(i).event === event) ??
      lags.find((i) => (series.flag(i) & IMPUTED) === 0 && series.calendarAt(i).event === event) ??
      lags[0];
    return match === undefined ? lastCleanValue(series) : series.value(match);
  }
}

/**
 * Picks the season with the lower in-sample error |y_t − y_{t−period}| over clean points; a season is
 * a candidate once the history holds two of it.
 */
export function fitSeasonalNaive(series: Series, periods: Periods, wanted: "auto" | Season, notes: string[]): SeasonalNaive {
  const candidates = (["daily", "weekly"] as const).filter((s) => {
    const p = periods[s];
    return p !== null && series.end - series.first >= 2 * p && (wanted === "auto" || wanted === s);
  });
  if (candidates.length === 0) {
    notes.push(`seasonal-naive: history shorter than two ${wanted === "auto" ? "days" : wanted + " seasons"}; using persistence`);
    return new SeasonalNaive(null, null);
  }
  let best: { season: Season; error: number } | null = null;
  for (const season of candidates) {
    const p = periods[season] as number;
    let sum = 0;
    let count = 0;
    for (let i = series.first + p; i < series.end; i++) {
      if (series.flag(i) !== 0 || series.flag(i - p) !== 0) continue;
      sum += Math.abs(series.value(i) - series.value(i - p));
      count++;
    }
    const error = count > 0 ? sum / count : Infinity;
    if (!best || error < best.error) best = { season, error };
  }
  const chosen = (best as { season: Season }).season;
  return new SeasonalNaive(chosen, periods[chosen]);
}
