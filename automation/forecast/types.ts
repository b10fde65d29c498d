// The forecasting contract shared by the runner, the simulator and the decide function.

/** One observation of a load KPI. */
export interface Point {
  /** Epoch milliseconds. */
  t: number;
  v: number;
}

/** The quantile levels every forecast step carries, in this order. */
export const QUANTILES = [0.05, 0.1, 0.5, 0.8, 0.9, 0.95] as const;

export interface StepForecast {
  /** Epoch milliseconds of the forecast step. */
  t: number;
  /** Aligned with QUANTILES; non-decreasing. */
  quantiles: number[];
}

export type ModelKind = "naive" | "seasonal-naive" | "holt-winters" | "regression" | "lstm" | "daily-profile" | "local-median" | "boosted-trees" | "ensemble";
export type MemberKind = Exclude<ModelKind, "ensemble">;

export interface FitReport {
  /** The forecaster's kind. */
  model: ModelKind;
  /** Grid points after cleaning and resampling. */
  points: number;
  stepMs: number;
  /** Grid slots whose value is not one raw on-grid point: snapped, merged or interpolated over a gap. */
  resampled: number;
  /** Values clipped (negative load → 0). */
  clipped: number;
  /** Raw points rejected (NaN, infinite, unparsable, absurd). */
  rejected: number;
  notes: string[];
  /** The models that produce the forecast (the ensemble's members, or the fallback in use). */
  modelsUsed?: string[];
}

/** What happened since the fit: the latest tick's notes (dropped models and why) and the live weights. */
export interface ForecasterStatus {
  modelsUsed: string[];
  /** Ensemble weights per member at the first calibrated horizon; empty for single models. */
  weights: Record<string, number>;
  /** Points taken in by update(), and those dropped (late, duplicate, rejected). */
  updates: { accepted: number; late: number; rejected: number; clipped: number; imputed: number; anomalies: number };
  notes: string[];
}

export interface Forecaster {
  readonly name: string;
  fit(history: Point[]): FitReport;
  /** Takes in new points without refitting: states, calibration and ensemble weights move on. */
  update(newPoints: Point[]): void;
  predict(horizonSteps: number): StepForecast[];
  /** P(max load over the next `withinSteps` steps ≥ (1 + r) × current load). */
  probabilityOfRise(r: number, withinSteps: number): number;
  status(): ForecasterStatus;
  toJSON(): unknown;
}

/** A named date range the models see as an input: holidays, campaigns, launches. */
export interface CalendarEvent {
  name: string;
  /** ISO date ("2014-11-27", a whole local day in the configured time zone) or date-time (an instant). */
  start: string;
  /** Inclusive for dates, exclusive for date-times. */
  end: string;
  /** Repeats every year on the same month-days (dates only). */
  yearly?: boolean;
}

export interface LstmOptions {
  /** Steps of history the network reads per forecast. */
  window?: number;
  hiddenSize?: number;
  /** Training epochs over the sampled windows. */
  iterations?: number;
  learningRate?: number;
  /** Training windows sampled from the history (evenly spaced); bounds fit time on long histories. */
  maxTrainingWindows?: number;
  /** Feed the load one day before each forecast step as an extra input (needs > 1 day of history). */
  dailyLagInput?: boolean;
  /** Networks trained from successive seeds and averaged (steadier than one small network). */
  networks?: number;
}

export interface ForecastOptions {
  /** Seed for everything random (LSTM initialisation and window order). */
  seed?: number;
  /** IANA zone for time-of-day, day-of-week and calendar dates. */
  timeZone?: string;
  events?: CalendarEvent[];
  /** Grid step; inferred from the timestamps (median spacing) when absent. */
  stepMs?: number;
  /** Steps ahead that are calibrated from out-of-sample residuals; longer horizons are extrapolated. */
  calibratedSteps?: number;
  /** Share of the history held out to collect out-of-sample residuals at fit time. */
  calibrationFraction?: number;
  /** Residual paths kept for calibration (a sliding window of recent forecast origins). */
  calibrationWindow?: number;
  /** Robust z-score beyond which a one-step residual is an anomaly. */
  anomalyThreshold?: number;
  /** Recent residuals the robust z-score is computed against. */
  anomalyWindow?: number;
  /** Consecutive anomalies after which the detector accepts a level shift instead of flagging on. */
  anomalyMaxRun?: number;
  /** Values above this are rejected as absurd (default: a robust bound from the history). */
  maxValue?: number;
  seasonalNaive?: { season?: "auto" | "daily" | "weekly" };
  holtWinters?: {
    seasonality?: "auto" | "none" | "daily" | "weekly" | "daily+weekly";
    errorType?: "auto" | "additive" | "multiplicative";
  };
  lstm?: LstmOptions;
  ensemble?: {
    members?: MemberKind[];
    /** Half-life, in forecast origins, of the error averages that weight the members. */
    halfLifeSteps?: number;
    /** Weights ∝ (recent MSE)^-power; 1 is classic inverse-MSE weighting. */
    power?: number;
    /**
     * Stacked weights per horizon, learned by least absolute deviations on resolved forecasts and
     * shrunk toward the inverse-MSE weights (default on); false keeps the inverse-MSE weights only.
     */
    stacking?: false | { window?: number; minimum?: number; lambda?: number; refitEvery?: number };
    /**
     * Per horizon, one member's forecast alone where its recent mean absolute error is under margin ×
     * the combination's, once `minimum` forecasts are resolved there (default on); false always combines.
     */
    selection?: false | { margin?: number; minimum?: number };
  };
}

/** Bad input: empty or unparsable series, invalid options or an unreadable saved model. */
export class ForecastInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ForecastInputError";
  }
}
