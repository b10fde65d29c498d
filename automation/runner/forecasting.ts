// Forecast step of a tick: one forecaster per service, kept between ticks (JSON) and restarts; a full
// refit now and then, cheap updates in between.
import { horizonSteps, Policy, ServiceForecast, summariseForecast } from "../decide";
import { createForecaster, ForecastInputError, ModelKind, Point, restoreForecaster } from "../forecast";

export interface ForecastMemory {
  model: unknown;
  fittedAt: number;
  stepSec: number;
  /** Last point fed, so a tick never feeds the same step twice. */
  lastT: number;
}

export interface ForecastStep {
  forecast: ServiceForecast | undefined;
  memory: ForecastMemory | undefined;
  note: string;
}

export interface ForecastSettings {
  kind: ModelKind;
  /** Refit from the full history this often (ms of clock time). */
  refitMs: number;
  seed: number;
}

/** Pure apart from the models' own CPU: no I/O. */
export function forecastService(
  memory: ForecastMemory | undefined,
  history: () => Point[],
  load: number | undefined,
  now: number,
  policy: Policy,
  settings: ForecastSettings,
): ForecastStep {
  if (load === undefined) return { forecast: undefined, memory, note: "no load sample: no forecast this tick (decide holds)" };
  let f;
  let note: string;
  let stepSec: number;
  let lastT: number;
  if (!memory || now - memory.fittedAt > settings.refitMs) {
    const h = history();
    f = createForecaster(settings.kind, { seed: settings.seed });
    let report;
    try {
      report = f.fit([...h, { t: now, v: load }]);
    } catch (e) {
      // Too little history (a stack minutes old) is no error: no forecast yet, decide() holds.
      if (e instanceof ForecastInputError) return { forecast: undefined, memory: undefined, note: `no forecast yet: ${e.message}` };
      throw e;
    }
    stepSec = report.stepMs / 1000;
    lastT = now;
    note = `fitted ${settings.kind} on ${report.points} points (${report.modelsUsed?.join(", ") ?? report.model})${report.notes.length ? `; ${report.notes.join("; ")}` : ""}`;
  } else {
    f = restoreForecaster(memory.model);
    stepSec = memory.stepSec;
    lastT = memory.lastT;
    // One point per forecast step: ticks faster than the step only refresh the current load.
    if (now - memory.lastT >= stepSec * 1000) {
      f.update([{ t: now, v: load }]);
      lastT = now;
    }
    note = "updated";
  }
  const h = horizonSteps(policy, stepSec);
  const steps = f.predict(h);
  const pRise = f.probabilityOfRise(policy.riseThreshold, h);
  const forecast = summariseForecast({ at: now, currentLoad: load, stepSec, steps, pRise }, policy);
  return { forecast, memory: { model: f.toJSON(), fittedAt: memory && note === "updated" ? memory.fittedAt : now, stepSec, lastT }, note };
}
