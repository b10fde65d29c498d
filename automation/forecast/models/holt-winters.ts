// Holt-Winters with a damped trend and one or two seasonalities (daily, weekly; Taylor's double
// seasonal form), additive or multiplicative. Smoothing parameters are fitted by minimising the
// multi-step squared error over the history, and the variant is chosen on a held-out tail.
// Flagged points (anomalies, interpolated gaps) and calendar events do not move the level, trend or
// seasonals: the state coasts on its own forecast there, and events learn their own effect instead.
import { logistic, logit, nelderMead } from "../optimize";
import { IMPUTED, Series } from "../series";
import { median } from "../stats";
import { ModelFailure, PointModel, Periods } from "./model";

export type Seasonality = "none" | "daily" | "weekly" | "daily+weekly";
export type ErrorType = "additive" | "multiplicative";

export interface HwSpec {
  errorType: ErrorType;
  seasonality: Seasonality;
  /** Season lengths in slots, matching `seasonality`. */
  periods: number[];
}

export interface HwParams {
  alpha: number;
  beta: number;
  phi: number;
  gammas: number[];
}

export interface HoltWintersJSON {
  kind: "holt-winters";
  spec: HwSpec;
  params: HwParams;
  level: number;
  trend: number;
  seasonals: number[][];
  events: Record<string, number>;
  scale: number;
  last: number;
}

/** How fast an event's learned effect follows its latest occurrence: too few event points to fit it. */
const EVENT_GAIN = 0.3;
/** Residuals beyond this many running mean absolute residuals are clipped before they update the state. */
const CLIP = 4;
/** How fast the running residual scale follows. */
const SCALE_GAIN = 0.02;
/** Share of the history held out to choose between variants. */
const VALIDATION_SHARE = 0.2;

interface State {
  level: number;
  trend: number;
  seasonals: Float64Array[];
  events: Map<string, number>;
  /** Running mean absolute one-step residual (of clipped residuals). */
  scale: number;
  /** Absolute index of the last slot the state has absorbed. */
  last: number;
}

const isMult = (spec: HwSpec): boolean => spec.errorType === "multiplicative";

/** Forecast for slot `last + k`, without any event effect. */
function base(state: State, spec: HwSpec, params: HwParams, k: number): number {
  let damp = 0;
  let f = 1;
  for (let j = 1; j <= k; j++) {
    f *= params.phi;
    damp += f;
  }
  const target = state.last + k;
  let season = isMult(spec) ? 1 : 0;
  for (let p = 0; p < spec.periods.length; p++) {
    const s = state.seasonals[p][target % spec.periods[p]];
    season = isMult(spec) ? season * s : season + s;
  }
  const trended = state.level + damp * state.trend;
  return isMult(spec) ? trended * season : trended + season;
}

function withEvent(value: number, spec: HwSpec, effect: number | undefined): number {
  if (effect === undefined) return value;
  return isMult(spec) ? value * effect : value + effect;
}

/**
 * Absorbs slot `state.last + 1`. Interpolated slots (and anomalies inside events) let the state coast
 * on its own forecast. Every other residual is clipped at CLIP × the running residual scale before it
 * moves the state (Huber-style robust Holt-Winters), so an unflagged spike cannot bend the seasonals
 * and a wrong seasonal value cannot lock itself in by making every correction look anomalous.
 */
function absorb(state: State, spec: HwSpec, params: HwParams, y: number, flag: number, event: string | null): void {
  const i = state.last + 1;
  const { alpha, beta, phi, gammas } = params;
  const coast = (): void => {
    state.level += phi * state.trend;
    state.trend *= phi;
  };
  if ((flag & IMPUTED) !== 0 || (event !== null && flag !== 0)) {
    coast();
  } else if (event !== null) {
    const expected = base(state, spec, params, 1);
    const effect = isMult(spec) ? y / Math.max(expected, 1e-12) : y - expected;
    const previous = state.events.get(event) ?? (isMult(spec) ? 1 : 0);
    state.events.set(event, previous + EVENT_GAIN * (effect - previous));
    coast();
  } else {
    const mult = isMult(spec);
    const expected = base(state, spec, params, 1);
    const bound = CLIP * Math.max(state.scale, 1e-3 * Math.abs(expected));
    const residual = Math.max(-bound, Math.min(bound, y - expected));
    state.scale += SCALE_GAIN * (Math.abs(residual) - state.scale);
    const cleaned = expected + residual;
    let season = mult ? 1 : 0;
    for (let p = 0; p < spec.periods.length; p++) {
      const s = state.seasonals[p][i % spec.periods[p]];
      season = mult ? season * s : season + s;
    }
    const previous = state.level;
    const deseasoned = mult ? cleaned / season : cleaned - season;
    state.level = alpha * deseasoned + (1 - alpha) * (previous + phi * state.trend);
    if (mult) state.level = Math.max(state.level, 1e-12);
    state.trend = beta * (state.level - previous) + (1 - beta) * phi * state.trend;
    for (let p = 0; p < spec.periods.length; p++) {
      const idx = i % spec.periods[p];
      const s = state.seasonals[p][idx];
      const others = mult ? season / s : season - s;
      const observed = mult ? cleaned / (state.level * others) : cleaned - state.level - others;
      state.seasonals[p][idx] = gammas[p] * observed + (1 - gammas[p]) * s;
    }
  }
  state.last = i;
}

/**
 * Decomposition of the first seasons: level = mean, seasonals = per-phase medians of the deviations
 * (medians, so one spike at a phase does not become that phase's seasonal), scale = typical residual.
 */
function initialState(series: Series, spec: HwSpec, from: number, to: number): State {
  const mult = isMult(spec);
  const longest = Math.max(1, ...spec.periods);
  const shortest = Math.min(longest, ...spec.periods);
  const span = Math.min(to - from, Math.max(2 * longest, 7 * shortest));
  const end = from + Math.max(longest, Math.floor(span / longest) * longest);
  const usable: number[] = [];
  for (let i = from; i < end; i++) if (series.flag(i) === 0 && series.calendarAt(i).event === null) usable.push(i);
  const level = usable.length > 0 ? usable.reduce((sum, i) => sum + series.value(i), 0) / usable.length : series.value(from);
  const seasonals: Float64Array[] = [];
  const rest = (i: number): number => {
    let r = mult ? series.value(i) / Math.max(level, 1e-12) : series.value(i) - level;
    for (let p = 0; p < seasonals.length; p++) {
      const s = seasonals[p][i % spec.periods[p]];
      r = mult ? r / s : r - s;
    }
    return r;
  };
  for (const period of spec.periods) {
    const byPhase = Array.from({ length: period }, (): number[] => []);
    for (const i of usable) byPhase[i % period].push(rest(i));
    const pattern = Float64Array.from(byPhase, (xs) => (xs.length > 0 ? median(xs) : mult ? 1 : 0));
    const total = pattern.reduce((a, b) => a + b, 0);
    // Normalise so the seasonal pattern carries no level of its own.
    for (let j = 0; j < period; j++) pattern[j] = mult ? Math.max(pattern[j] * (period / total), 1e-6) : pattern[j] - total / period;
    seasonals.push(pattern);
  }
  const deviations = usable.map((i) => Math.abs(mult ? (rest(i) - 1) * level : rest(i)));
  const scale = deviations.length > 0 ? 1.2 * median(deviations) : 0;
  return { level, trend: 0, seasonals, events: new Map(), scale, last: from - 1 };
}

/**
 * Runs the recursion over [from, to) and returns the mean squared error of the 1..horizon-step
 * forecasts issued from each origin after `scoreFrom`, on usable targets before `to`.
 */
function run(series: Series, spec: HwSpec, params: HwParams, state: State, to: number, horizon: number, scoreFrom: number): number {
  let sse = 0;
  let count = 0;
  const mult = isMult(spec);
  for (let i = state.last + 1; i < to; i++) {
    absorb(state, spec, params, series.value(i), series.flag(i), series.calendarAt(i).event);
    if (i < scoreFrom) continue;
    let damp = 0;
    let f = 1;
    for (let k = 1; k <= horizon && i + k < to; k++) {
      f *= params.phi;
      damp += f;
      const target = i + k;
      if (series.flag(target) !== 0) continue;
      let season = mult ? 1 : 0;
      for (let p = 0; p < spec.periods.length; p++) {
        const s = state.seasonals[p][target % spec.periods[p]];
        season = mult ? season * s : season + s;
      }
      const trended = state.level + damp * state.trend;
      const event = series.calendarAt(target).event;
      const forecast = withEvent(mult ? trended * season : trended + season, spec, event === null ? undefined : state.events.get(event));
      const e = series.value(target) - forecast;
      sse += e * e;
      count++;
    }
  }
  return count > 0 ? sse / count : Infinity;
}

const decode = (x: readonly number[], seasons: number): HwParams => ({
  alpha: 0.001 + 0.998 * logistic(x[0]),
  beta: 0.3 * logistic(x[1]),
  phi: 0.8 + 0.195 * logistic(x[2]),
  gammas: Array.from({ length: seasons }, (_, p) => 0.001 + 0.9 * logistic(x[3 + p])),
});

/** logit of a share, kept off 0 and 1 so a parameter at its bound still encodes to a finite start. */
const logitOf = (share: number): number => logit(Math.min(Math.max(share, 1e-9), 1 - 1e-9));

const encode = (p: HwParams): number[] => [
  logitOf((p.alpha - 0.001) / 0.998),
  logitOf(p.beta / 0.3),
  logitOf((p.phi - 0.8) / 0.195),
  ...p.gammas.map((g) => logitOf((g - 0.001) / 0.9)),
];

const START: HwParams = { alpha: 0.3, beta: 0.01, phi: 0.95, gammas: [0.1, 0.1] };

function fitParams(series: Series, spec: HwSpec, from: number, to: number, horizon: number, start: HwParams): { params: HwParams; mse: number } {
  const seasons = spec.periods.length;
  const scoreFrom = from + Math.max(1, ...spec.periods);
  const objective = (x: number[]): number => run(series, spec, decode(x, seasons), initialState(series, spec, from, to), to, horizon, scoreFrom);
  const x0 = encode({ ...start, gammas: Array.from({ length: seasons }, (_, p) => start.gammas[p] ?? 0.1) });
  const { x, value } = nelderMead(objective, x0, { maxEvaluations: 60 + 40 * x0.length, step: 1 });
  return { params: decode(x, seasons), mse: value };
}

export class HoltWinters implements PointModel {
  private constructor(
    readonly spec: HwSpec,
    readonly params: HwParams,
    private readonly state: State,
  ) {}

  static fromJSON(json: HoltWintersJSON): HoltWinters {
    return new HoltWinters(json.spec, json.params, {
      level: json.level,
      trend: json.trend,
      seasonals: json.seasonals.map((s) => Float64Array.from(s)),
      events: new Map(Object.entries(json.events)),
      scale: json.scale,
      last: json.last,
    });
  }

  /** Fits `spec` on the series as it stands and leaves the state at its last slot. */
  static fit(series: Series, spec: HwSpec, horizon: number, start: HwParams = START): { model: HoltWinters; mse: number } {
    const { params, mse } = fitParams(series, spec, series.first, series.end, horizon, start);
    const state = initialState(series, spec, series.first, series.end);
    run(series, spec, params, state, series.end, 0, Infinity);
    return { model: new HoltWinters(spec, params, state), mse };
  }

  /** The variant and parameters with the state before the series' first slot, to replay the history. */
  static initial(series: Series, spec: HwSpec, params: HwParams): HoltWinters {
    return new HoltWinters(spec, params, initialState(series, spec, series.first, series.end));
  }

  get description(): string {
    const p = this.params;
    const gammas = p.gammas.map((g) => g.toFixed(3)).join("/");
    return `holt-winters (${this.spec.errorType}, ${this.spec.seasonality}, damped; α=${p.alpha.toFixed(3)} β=${p.beta.toFixed(3)} φ=${p.phi.toFixed(3)}${gammas ? ` γ=${gammas}` : ""})`;
  }

  forecast(series: Series, h: number): number[] {
    if (this.state.last !== series.end - 1) throw new ModelFailure("holt-winters state is out of step with the series");
    const out: number[] = [];
    for (let k = 1; k <= h; k++) {
      const event = series.calendarAt(this.state.last + k).event;
      const value = withEvent(base(this.state, this.spec, this.params, k), this.spec, event === null ? undefined : this.state.events.get(event));
      out.push(Math.max(value, 0));
    }
    if (!out.every(Number.isFinite)) throw new ModelFailure("holt-winters produced a non-finite forecast");
    return out;
  }

  observe(series: Series): void {
    const i = series.end - 1;
    absorb(this.state, this.spec, this.params, series.value(i), series.flag(i), series.calendarAt(i).event);
  }

  /** An independent copy (same parameters, same state) for a second role. */
  clone(): HoltWinters {
    return HoltWinters.fromJSON(this.toJSON());
  }

  toJSON(): HoltWintersJSON {
    return {
      kind: "holt-winters",
      spec: this.spec,
      params: this.params,
      level: this.state.level,
      trend: this.state.trend,
      seasonals: this.state.seasonals.map((s) => Array.from(s)),
      events: Object.fromEntries(this.state.events),
      scale: this.state.scale,
      last: this.state.last,
    };
  }
}

export interface HwChoice {
  seasonality: "auto" | Seasonality;
  errorType: "auto" | ErrorType;
}

function candidates(periods: Periods, length: number, choice: HwChoice, positive: boolean): HwSpec[] {
  const fits = (p: number | null): p is number => p !== null && length >= 2 * p;
  const seasonalities: { seasonality: Seasonality; periods: number[] }[] = [];
  if (fits(periods.daily)) seasonalities.push({ seasonality: "daily", periods: [periods.daily] });
  if (fits(periods.weekly)) {
    seasonalities.push({ seasonality: "weekly", periods: [periods.weekly] });
    seasonalities.push({ seasonality: "daily+weekly", periods: [periods.daily as number, periods.weekly] });
  }
  const wanted = seasonalities.filter((s) => choice.seasonality === "auto" || s.seasonality === choice.seasonality);
  const chosen = wanted.length > 0 ? wanted : [{ seasonality: "none" as const, periods: [] }];
  const errorTypes: ErrorType[] = choice.errorType !== "auto" ? [choice.errorType] : positive ? ["additive", "multiplicative"] : ["additive"];
  return chosen.flatMap((s) => errorTypes.map((errorType) => ({ errorType, ...s })));
}

/**
 * Chooses the variant on a held-out tail (parameters fitted on the rest), then refits the winner on
 * the whole history. Seasonalities need two full seasons; what could not run is noted.
 */
export function fitHoltWinters(series: Series, periods: Periods, choice: HwChoice, horizon: number, notes: string[]): HoltWinters {
  const length = series.end - series.first;
  let positive = true;
  for (let i = series.first; i < series.end; i++) if (series.value(i) <= 0 && (series.flag(i) & IMPUTED) === 0) positive = false;
  const split = series.first + Math.floor(length * (1 - VALIDATION_SHARE));
  const specs = candidates(periods, split - series.first, choice, positive);
  for (const season of ["daily", "weekly"] as const) {
    const p = periods[season];
    const considered = choice.seasonality === "auto" || choice.seasonality.includes(season);
    if (p !== null && considered && split - series.first < 2 * p) {
      notes.push(`holt-winters: ${season} seasonality needs two ${season === "daily" ? "days" : "weeks"} before the ${VALIDATION_SHARE * 100}% hold-out (have ${split - series.first} of ${2 * p} slots); not used`);
    }
  }
  if (specs[0].seasonality === "none") notes.push("holt-winters: fitted without seasonality");
  if (choice.errorType === "multiplicative" && !positive) notes.push("holt-winters: multiplicative form on a series with zeros");
  let best: { spec: HwSpec; params: HwParams; score: number } | null = null;
  for (const spec of specs) {
    const { params } = fitParams(series, spec, series.first, split, horizon, START);
    const state = initialState(series, spec, series.first, split);
    run(series, spec, params, state, split, 0, Infinity);
    const score = specs.length === 1 ? 0 : run(series, spec, params, state, series.end, horizon, split);
    if (!best || score < best.score) best = { spec, params, score };
  }
  const winner = best as { spec: HwSpec; params: HwParams };
  return HoltWinters.fit(series, winner.spec, horizon, winner.params).model;
}
