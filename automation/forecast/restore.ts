// Creating forecasters, and rebuilding a fitted one from its JSON (the runner keeps models across
// ticks and restarts).
import { RobustZDetector } from "./anomaly";
import { Calibrator } from "./calibration";
import { makeCalendar } from "./calendar";
import { FORMAT, ForecasterJSON, PipelineForecaster, READABLE_VERSIONS, VERSION, capacityFor } from "./forecaster";
import { BoostedTreesModel, BoostedTreesModelJSON } from "./models/boosted-trees";
import { DailyProfile, DailyProfileJSON } from "./models/daily-profile";
import { Ensemble, EnsembleJSON } from "./models/ensemble";
import { HoltWinters, HoltWintersJSON } from "./models/holt-winters";
import { LocalMedian } from "./models/local-median";
import { Lstm, LstmJSON } from "./models/lstm";
import { PointModel } from "./models/model";
import { Naive } from "./models/naive";
import { Regression, RegressionJSON } from "./models/regression";
import { SeasonalNaive, SeasonalNaiveJSON } from "./models/seasonal-naive";
import { resolveOptions } from "./options";
import { RiseRecalibrator } from "./recalibration";
import { Series } from "./series";
import { ForecastInputError, ForecastOptions, Forecaster, MemberKind, ModelKind } from "./types";

const KINDS: readonly ModelKind[] = ["naive", "seasonal-naive", "holt-winters", "regression", "lstm", "daily-profile", "local-median", "boosted-trees", "ensemble"];

export function createForecaster(kind: ModelKind, options?: ForecastOptions): Forecaster {
  if (!KINDS.includes(kind)) throw new ForecastInputError(`unknown forecaster kind "${String(kind)}" (expected ${KINDS.join(", ")})`);
  return new PipelineForecaster(kind, options ?? {});
}

function restoreMember(kind: MemberKind | "persistence", json: unknown): PointModel {
  const tagged = json as { kind?: string };
  switch (tagged.kind) {
    case "naive":
      return Naive.fromJSON();
    case "regression":
      return Regression.fromJSON(json as RegressionJSON);
    case "seasonal-naive":
      return SeasonalNaive.fromJSON(json as SeasonalNaiveJSON);
    case "holt-winters":
      return HoltWinters.fromJSON(json as HoltWintersJSON);
    case "lstm":
      return Lstm.fromJSON(json as LstmJSON);
    case "daily-profile":
      return DailyProfile.fromJSON(json as DailyProfileJSON);
    case "local-median":
      return LocalMedian.fromJSON();
    case "boosted-trees":
      return BoostedTreesModel.fromJSON(json as BoostedTreesModelJSON);
    default:
      throw new ForecastInputError(`saved ${kind} model has unknown kind "${String(tagged.kind)}"`);
  }
}

function restoreModel(json: unknown): PointModel {
  const tagged = json as { kind?: string };
  if (tagged?.kind === "ensemble") return Ensemble.fromJSON(json as EnsembleJSON, restoreMember);
  return restoreMember(tagged?.kind as MemberKind, json);
}

/** Rebuilds a forecaster from toJSON() output; throws ForecastInputError on anything else. */
export function restoreForecaster(json: unknown): Forecaster {
  const saved = json as Partial<ForecasterJSON> | null;
  if (saved === null || typeof saved !== "object" || saved.format !== FORMAT) {
    throw new ForecastInputError(`not a saved forecaster (expected format "${FORMAT}")`);
  }
  if (!READABLE_VERSIONS.includes(saved.version as number)) {
    throw new ForecastInputError(`saved forecaster version ${String(saved.version)} is not supported (expected ${READABLE_VERSIONS.join(" to ")}; this build writes ${VERSION})`);
  }
  if (!saved.kind || !KINDS.includes(saved.kind)) throw new ForecastInputError(`saved forecaster has unknown kind "${String(saved.kind)}"`);
  const input = saved.options ?? {};
  const options = resolveOptions(input);
  const s = saved.state;
  if (!s) return new PipelineForecaster(saved.kind, input);
  try {
    const calendar = makeCalendar(options.timeZone, options.events);
    return new PipelineForecaster(saved.kind, input, {
      report: s.report,
      bound: s.bound,
      periods: s.periods,
      horizon: s.horizon,
      series: Series.fromJSON(s.series, calendar, capacityFor(s.periods, s.horizon, options.lstm.window)),
      sentinel: { model: HoltWinters.fromJSON(s.sentinel.model), detector: RobustZDetector.fromJSON(s.sentinel.detector) },
      model: restoreModel(s.model),
      fallback: s.fallback,
      calibrator: Calibrator.fromJSON(s.calibrator),
      // Version 1 had no recalibrator: events start afresh (replayed from the calibrator) on the first ask.
      recalibrator: s.recalibrator ? RiseRecalibrator.fromJSON(s.recalibrator) : new RiseRecalibrator(),
      latest: s.latest,
      updates: s.updates,
    });
  } catch (error) {
    if (error instanceof ForecastInputError) throw error;
    throw new ForecastInputError(`unreadable saved forecaster: ${(error as Error).message}`);
  }
}
