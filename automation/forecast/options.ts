// Options with their defaults filled in and checked once, so the models can trust them.
import { makeCalendar } from "./calendar";
import { CalendarEvent, ForecastInputError, ForecastOptions, MemberKind } from "./types";
import { LstmConfig } from "./models/lstm";
import { DEFAULT_SELECTION, SelectionConfig } from "./models/selection";
import { DEFAULT_STACKING, StackingConfig } from "./models/stacking";

export interface ResolvedOptions {
  seed: number;
  timeZone: string;
  events: CalendarEvent[];
  stepMs: number | null;
  calibratedSteps: number | null;
  calibrationFraction: number;
  calibrationWindow: number;
  anomalyThreshold: number;
  anomalyWindow: number;
  anomalyMaxRun: number;
  maxValue: number | null;
  season: "auto" | "daily" | "weekly";
  hwSeasonality: "auto" | "none" | "daily" | "weekly" | "daily+weekly";
  hwErrorType: "auto" | "additive" | "multiplicative";
  lstm: Omit<LstmConfig, "horizon" | "seed">;
  members: MemberKind[];
  halfLifeSteps: number | null;
  ensemblePower: number;
  /** Null: inverse-MSE weights only. The half-life is the ensemble's (set at fit). */
  stacking: Omit<StackingConfig, "halfLife"> | null;
  /** Null: the combination always. */
  selection: SelectionConfig | null;
}

export const DEFAULT_LSTM: ResolvedOptions["lstm"] = {
  window: 24,
  hiddenSize: 16,
  iterations: 20,
  learningRate: 0.01,
  maxTrainingWindows: 300,
  dailyLagInput: true,
  networks: 3,
};

const MEMBERS: readonly MemberKind[] = ["naive", "seasonal-naive", "holt-winters", "regression", "lstm", "daily-profile", "local-median", "boosted-trees"];

function check(ok: boolean, message: string): void {
  if (!ok) throw new ForecastInputError(`invalid forecast option: ${message}`);
}

const positiveInt = (x: unknown): boolean => Number.isInteger(x) && (x as number) > 0;

export function resolveOptions(options: ForecastOptions = {}): ResolvedOptions {
  const lstm = { ...DEFAULT_LSTM, ...(options.lstm ?? {}) };
  const resolved: ResolvedOptions = {
    seed: options.seed ?? 42,
    timeZone: options.timeZone ?? "UTC",
    events: options.events ?? [],
    stepMs: options.stepMs ?? null,
    calibratedSteps: options.calibratedSteps ?? null,
    calibrationFraction: options.calibrationFraction ?? 0.25,
    calibrationWindow: options.calibrationWindow ?? 1000,
    anomalyThreshold: options.anomalyThreshold ?? 6,
    anomalyWindow: options.anomalyWindow ?? 500,
    anomalyMaxRun: options.anomalyMaxRun ?? 6,
    maxValue: options.maxValue ?? null,
    season: options.seasonalNaive?.season ?? "auto",
    hwSeasonality: options.holtWinters?.seasonality ?? "auto",
    hwErrorType: options.holtWinters?.errorType ?? "auto",
    lstm,
    members: options.ensemble?.members ?? [...MEMBERS],
    halfLifeSteps: options.ensemble?.halfLifeSteps ?? null,
    ensemblePower: options.ensemble?.power ?? 2,
    stacking: options.ensemble?.stacking === false ? null : { ...DEFAULT_STACKING, ...(options.ensemble?.stacking ?? {}) },
    selection: options.ensemble?.selection === false ? null : { ...DEFAULT_SELECTION, ...(options.ensemble?.selection ?? {}) },
  };
  check(Number.isInteger(resolved.seed), "seed must be an integer");
  check(resolved.stepMs === null || positiveInt(resolved.stepMs), "stepMs must be a positive integer");
  check(resolved.calibratedSteps === null || positiveInt(resolved.calibratedSteps), "calibratedSteps must be a positive integer");
  check(resolved.calibrationFraction > 0 && resolved.calibrationFraction < 1, "calibrationFraction must be in (0, 1)");
  check(positiveInt(resolved.calibrationWindow), "calibrationWindow must be a positive integer");
  check(resolved.anomalyThreshold > 0, "anomalyThreshold must be positive");
  check(positiveInt(resolved.anomalyWindow), "anomalyWindow must be a positive integer");
  check(Number.isInteger(resolved.anomalyMaxRun) && resolved.anomalyMaxRun >= 0, "anomalyMaxRun must be a non-negative integer");
  check(resolved.maxValue === null || resolved.maxValue > 0, "maxValue must be positive");
  check(["auto", "daily", "weekly"].includes(resolved.season), "seasonalNaive.season");
  check(["auto", "none", "daily", "weekly", "daily+weekly"].includes(resolved.hwSeasonality), "holtWinters.seasonality");
  check(["auto", "additive", "multiplicative"].includes(resolved.hwErrorType), "holtWinters.errorType");
  check(positiveInt(lstm.window) && positiveInt(lstm.hiddenSize) && positiveInt(lstm.iterations) && positiveInt(lstm.maxTrainingWindows) && positiveInt(lstm.networks), "lstm window, hiddenSize, iterations, maxTrainingWindows and networks must be positive integers");
  check(lstm.learningRate > 0 && lstm.learningRate < 1, "lstm.learningRate must be in (0, 1) (brain.js refuses others)");
  check(resolved.members.length > 0 && resolved.members.every((m) => MEMBERS.includes(m)), `ensemble.members must be among ${MEMBERS.join(", ")}`);
  check(resolved.halfLifeSteps === null || resolved.halfLifeSteps > 0, "ensemble.halfLifeSteps must be positive");
  check(resolved.ensemblePower > 0, "ensemble.power must be positive");
  const st = resolved.stacking;
  check(st === null || (positiveInt(st.window) && positiveInt(st.minimum) && positiveInt(st.refitEvery) && st.lambda >= 0), "ensemble.stacking window, minimum and refitEvery must be positive integers and lambda non-negative");
  const sel = resolved.selection;
  check(sel === null || (sel.margin > 0 && positiveInt(sel.minimum)), "ensemble.selection margin must be positive and minimum a positive integer");
  check(Array.isArray(resolved.events), "events must be an array");
  makeCalendar(resolved.timeZone, resolved.events);
  return resolved;
}
