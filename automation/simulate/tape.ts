// Forecasts recorded along a replayed trace. The demand does not depend on what a strategy does, so
// a forecaster's output after each point is the same for every strategy and every policy: recording
// it once lets strategies (and policy sweeps) replay it. The forecaster is refitted on a sliding window
// every so often and moved on with update() in between, as the runner would.
import { createForecaster, ForecastOptions, Forecaster, ModelKind, Point, StepForecast } from "../forecast";

export interface TapeSpec {
  kind: ModelKind;
  options: ForecastOptions;
  refitEverySec: number;
  /** History each fit sees. */
  fitWindowSec: number;
  /** Steps predicted after each point. */
  steps: number;
  /** The P(rise ≥ r within steps) recorded after each point. */
  rise: { r: number; steps: number };
}

export interface ForecastTape {
  kind: ModelKind;
  /** Entry i holds what was known after the point at t[i]. */
  t: number[];
  forecasts: StepForecast[][];
  pRise: number[];
  fits: number;
}

function fitOn(spec: TapeSpec, known: Point[]): Forecaster {
  const last = known[known.length - 1].t;
  const f = createForecaster(spec.kind, spec.options);
  f.fit(known.filter((p) => p.t > last - spec.fitWindowSec * 1000));
  return f;
}

/** Entry 0 is the forecast from the history alone; entry j + 1 follows replay[j]. */
export function recordTape(history: Point[], replay: Point[], spec: TapeSpec): ForecastTape {
  const known = [...history];
  let forecaster = fitOn(spec, known);
  let lastFit = known[known.length - 1].t;
  const tape: ForecastTape = { kind: spec.kind, t: [], forecasts: [], pRise: [], fits: 1 };
  const record = (t: number): void => {
    tape.t.push(t);
    tape.forecasts.push(forecaster.predict(spec.steps));
    tape.pRise.push(forecaster.probabilityOfRise(spec.rise.r, spec.rise.steps));
  };
  record(lastFit);
  for (const p of replay) {
    known.push(p);
    if (p.t - lastFit >= spec.refitEverySec * 1000) {
      forecaster = fitOn(spec, known);
      lastFit = p.t;
      tape.fits++;
    } else forecaster.update([p]);
    record(p.t);
  }
  return tape;
}

/** Plays a tape back as the trace's points become known. */
export class TapeReader {
  private i = 0;

  constructor(private readonly tape: ForecastTape) {}

  observe(point: Point): void {
    while (this.i + 1 < this.tape.t.length && this.tape.t[this.i + 1] <= point.t) this.i++;
  }

  get forecast(): StepForecast[] {
    return this.tape.forecasts[this.i];
  }

  get pRise(): number {
    return this.tape.pRise[this.i];
  }
}
