// Holt-Winters with a damped trend and one or two seasonalities (daily, weekly; Taylor's double
// seasonal form), additive or multiplicative. Smoothing parameters are fitted by minimising the
// multi-step squared error over the history, and the variant is chosen on a held-out tail.
// Flagged points (anomalies, interpolated gaps) and calendar events do not move the level, trend or
// seasonals: the state coasts on its own forecast there, and events learn their own effect instead.
import { logistic, logit, nelderMead } from "../optimize";
import { IMPUTED, Series } from "../series";
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
  last: number;
}

/** How fast an event's learned effect follows its latest occurrence: too few event points to fit it. */
const EVENT_GAIN = 0.3;
/** Share of the history held out to choose between variants. */
const VALIDATION_SHARE = 0.2;

interface State {
  level: number;
  trend: number;
  seasonals: Float64Array[];
  events: Map<string, number>;
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

/** Absorbs slot `state.last + 1`. `usable` false: the state coasts (the point is kept out of the fit). */
function absorb(state: State, spec: HwSpec, params: HwParams, y: number, usable: boolean, event: string | null): void {
  const i = state.last + 1;
  const { alpha, beta, phi, gammas } = params;
  if (!usable) {
    state.level += phi * state.trend;
    state.trend *= phi;
  } else if (event !== null) {
    const expected = base(state, spec, params, 1);
    const effect = isMult(spec) ? y / Math.max(expected, 1e-12) : y - expected;
    const previous = state.events.get(event) ?? (isMult(spec) ? 1 : 0);
    state.events.set(event, previous + EVENT_GAIN * (effect - previous));
    state.level += phi * state.trend;
    state.trend *= phi;
  } else {
    const mult = isMult(spec);
    let season = mult ? 1 : 0;
    for (let p = 0; p < spec.periods.length; p++) {
      const s = state.seasonals[p][i % spec.periods[p]];
      season = mult ? season * s : season + s;
    }
    const previous = state.level;
    const deseasoned = mult ? y / season : y - season;
    state.level = alpha * deseasoned + (1 - alpha) * (previous + phi * state.trend);
    if (mult) state.level = Math.max(state.level, 1e-12);
    state.trend = beta * (state.level - previous) + (1 - beta) * phi * state.trend;
    for (let p = 0; p < spec.periods.length; p++) {
      const idx = i % spec.periods[p];
      const s = state.seasonals[p][idx];
      const others = mult ? season / s : season - s;
      const observed = mult ? y / (state.level * others) : y - state.level - others;
      state.seasonals[p][idx] = gammas[p] * observed + (1 - gammas[p]) * s;
    }
  }
  state.last = i;
}

/** Classical decomposition of the first seasons: level = mean, seasonals = average deviations. */
function initialState(series: Series, spec: HwSpec, from: number, to: number): State {
  const mult = isMult(spec);
  const longest = Math.max(1, ...spec.periods);
  const shortest = Math.min(longest, ...spec.periods);
  const span = Math.min(to - from, Math.max(2 * longest, 7 * shortest));
  const end = from + Math.max(longest, Math.floor(span / longest) * longest);
  const usable = (i: number): boolean => series.flag(i) === 0 && series.calendarAt(i).event === null;
  let sum = 0;
  let count = 0;
  for (let i = from; i < end; i++) {
    if (!usable(i)) continue;
    sum += series.value(i);
    count++;
  }
  const level = count > 0 ? sum / count : series.value(from);
  const seasonals: Float64Array[] = [];
  for (const period of spec.periods) {
    const acc = new Float64Array(period);
    const n = new Float64Array(period);
    for (let i = from; i < end; i++) {
      if (!usable(i)) continue;
      let rest = mult ? series.value(i) / Math.max(level, 1e-12) : series.value(i) - level;
      for (let p = 0; p < seasonals.length; p++) {
        const s = seasonals[p][i % spec.periods[p]];
        rest = mult ? rest / s : rest - s;
      }
      acc[i % period] += rest;
      n[i % period]++;
    }
    let total = 0;
    for (let j = 0; j < period; j++) {
      acc[j] = n[j] > 0 ? acc[j] / n[j] : mult ? 1 : 0;
      total += acc[j];
    }
    // Normalise so the seasonal pattern carries no level of its own.
    for (let j = 0; j < period; j++) acc[j] = mult ? Math.max(acc[j] * (period / total), 1e-6) : acc[j] - total / period;
    seasonals.push(acc);
  }
  return { level, trend: 0, seasonals, events: new Map(), last: from - 1 };
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
    const flag = series.flag(i);
    absorb(state, spec, params, series.value(i), flag === 0, series.calendarAt(i).event);
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
    absorb(this.state, this.spec, this.params, series.value(i), series.flag(i) === 0, series.calendarAt(i).event);
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
    if (p !== null && split - series.first < 2 * p) {
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
