// Online recalibration of P(rise) against outcomes the forecaster has already seen. The conformal
// probability (the share of recent residual paths that cross the threshold) is calibrated for the
// point errors, not for the event: errors that are larger when the load is low, or paths that rise
// together, leave it over- or under-confident, and the ensemble's weights (set by point error) do not
// correct that. So, per event (r, withinSteps) the caller asks about, every origin's raw probability is
// kept until its outcome is known (withinSteps slots later); the resolved (probability, outcome) pairs
// of the latest origins fit a Platt map, P = σ(a · logit(raw) + b), once there are enough of them,
// recent pairs weighing more than old ones.
//
// No lookahead: a pair enters the fit only once the last slot of its window has been observed. An
// event asked for the first time is not started from nothing: the calibrator still holds the recent
// origins (completed residual paths, and the forecasts waiting for outcomes), from which each origin's
// point forecast and its raw probability as it was then (from the paths complete at that time) are
// rebuilt, so the map can start from the held-out tail of fit().
import { Calibrator } from "./calibration";
import { IMPUTED, Series } from "./series";

/** Resolved (probability, outcome) pairs kept per event: a sliding window of the latest origins. */
export const MAX_PAIRS = 1000;
/** Pairs needed before the map replaces the raw probability… */
export const MIN_PAIRS = 100;
/** …with at least this many of each outcome among them. */
export const MIN_EACH = 5;
/** Events tracked at once; registering another drops the one asked least recently. */
export const MAX_EVENTS = 4;
/**
 * Pairs count less the older they are, halving every HALF_LIFE pairs (12.5 h of 5-minute slots), so
 * the map follows drifts in the load's behaviour; the window's oldest pairs weigh about 1 %.
 */
export const HALF_LIFE = 150;
/**
 * Weight of the prior that pulls the map toward the identity (a = 1, b = 0), in pairs' worth. Strong
 * enough that a map fitted on a few days of one regime cannot flatten confident forecasts of another:
 * with 1, a map learned on the weekend ending the main job's history turned Monday's morning ramp,
 * raw P(rise) 0.95–0.97 and every step a rise, into 0.47–0.57; with 30 it gives 0.84–0.90.
 */
const RIDGE = 30;
/** Raw probabilities are clamped to [EPS, 1 − EPS] before the logit. */
const EPS = 1e-3;

export interface PlattMap {
  a: number;
  b: number;
}

export const logit = (p: number): number => {
  const q = Math.min(Math.max(p, EPS), 1 - EPS);
  return Math.log(q / (1 - q));
};

export const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Penalised, weighted negative log-likelihood of outcomes `y` given logits `x` under the map (a, b). */
function objective(x: readonly number[], y: readonly number[], w: readonly number[], a: number, b: number, ridge: number): number {
  let sum = 0.5 * ridge * ((a - 1) ** 2 + b ** 2);
  for (let i = 0; i < x.length; i++) {
    const s = a * x[i] + b;
    // log(1 + e^s) − y s, computed without overflow.
    sum += w[i] * ((s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - y[i] * s);
  }
  return sum;
}

/** Weights that halve every `halfLife` pairs back from the newest (the last element). */
export function recencyWeights(n: number, halfLife: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.pow(2, -(n - 1 - i) / halfLife));
}

/**
 * Platt scaling: logistic regression of outcomes `y` (0/1) on logit(p), with a weak ridge toward the
 * identity map so that few or one-sided outcomes cannot run away. Damped Newton from the identity:
 * deterministic, and the same pairs always give the same map.
 */
export function fitPlatt(p: readonly number[], y: readonly number[], weights: readonly number[] = p.map(() => 1), ridge = RIDGE): PlattMap {
  const x = p.map(logit);
  const w = weights;
  let a = 1;
  let b = 0;
  let current = objective(x, y, w, a, b, ridge);
  for (let iteration = 0; iteration < 50; iteration++) {
    let ga = ridge * (a - 1);
    let gb = ridge * b;
    let haa = ridge;
    let hab = 0;
    let hbb = ridge;
    for (let i = 0; i < x.length; i++) {
      const q = sigmoid(a * x[i] + b);
      const d = w[i] * (q - y[i]);
      const v = w[i] * q * (1 - q);
      ga += d * x[i];
      gb += d;
      haa += v * x[i] * x[i];
      hab += v * x[i];
      hbb += v;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = objective(x, y, w, a - da, b - db, ridge);
    while (!(next <= current) && step > 1e-6) {
      step /= 2;
      next = objective(x, y, w, a - step * da, b - step * db, ridge);
    }
    if (!(next <= current)) break;
    a -= step * da;
    b -= step * db;
    const moved = step * (Math.abs(da) + Math.abs(db));
    current = next;
    if (moved < 1e-10) break;
  }
  return { a, b };
}

export function applyPlatt(map: PlattMap, p: number): number {
  return sigmoid(map.a * logit(p) + map.b);
}

/**
 * Whether the load rose to (1 + r) × its value at `origin` within the next `within` slots; null when
 * that is not known from real values (not yet observed, no longer held, or a slot was interpolated),
 * or when the bar is at or below zero (certain, nothing to learn).
 */
export function riseOutcome(series: Series, origin: number, r: number, within: number): boolean | null {
  if (origin < series.first || origin + within > series.end - 1) return null;
  const bar = (1 + r) * series.value(origin);
  if (!(bar > 0)) return null;
  let peak = -Infinity;
  for (let i = origin; i <= origin + within; i++) {
    if ((series.flag(i) & IMPUTED) !== 0) return null;
    if (i > origin) peak = Math.max(peak, series.value(i));
  }
  return peak >= bar;
}

interface Pending {
  /** Absolute slot index of the origin (its last observed slot). */
  origin: number;
  /** The raw probability issued at that origin. */
  p: number;
}

export interface RiseEventJSON {
  r: number;
  within: number;
  /** series.end when the event was last asked about. */
  lastAsked: number;
  pending: Pending[];
  /** Resolved pairs, oldest first. */
  p: number[];
  y: number[];
}

export interface RecalibratorJSON {
  events: RiseEventJSON[];
}

class RiseEvent {
  /** The fitted map; undefined when the pairs changed since, null when there are too few. */
  private map: PlattMap | null | undefined = undefined;

  constructor(
    readonly r: number,
    readonly within: number,
    public lastAsked: number,
    readonly pending: Pending[] = [],
    readonly p: number[] = [],
    readonly y: number[] = [],
  ) {}

  toJSON(): RiseEventJSON {
    return { r: this.r, within: this.within, lastAsked: this.lastAsked, pending: this.pending.map((q) => ({ ...q })), p: [...this.p], y: [...this.y] };
  }

  /** Moves every pending origin whose window has closed into the pairs (or drops it if unknowable). */
  resolve(series: Series): void {
    while (this.pending.length > 0 && this.pending[0].origin + this.within <= series.end - 1) {
      const { origin, p } = this.pending.shift() as Pending;
      const rose = riseOutcome(series, origin, this.r, this.within);
      if (rose === null) continue;
      this.p.push(p);
      this.y.push(rose ? 1 : 0);
      if (this.p.length > MAX_PAIRS) {
        this.p.shift();
        this.y.shift();
      }
      this.map = undefined;
    }
  }

  /** The Platt map from the current pairs, or null while they are too few or one-sided. */
  get fitted(): PlattMap | null {
    if (this.map === undefined) {
      const rises = this.y.reduce((s, v) => s + v, 0);
      const enough = this.p.length >= MIN_PAIRS && rises >= MIN_EACH && this.p.length - rises >= MIN_EACH;
      this.map = enough ? fitPlatt(this.p, this.y, recencyWeights(this.p.length, HALF_LIFE)) : null;
    }
    return this.map;
  }

  get pairs(): number {
    return this.p.length;
  }
}

/** What the recalibrator needs of the forecaster at the latest origin. */
export interface RiseSource {
  series: Series;
  calibrator: Calibrator;
  /** The raw (conformal) probability at the latest origin. */
  raw(r: number, within: number): number;
}

export class RiseRecalibrator {
  private readonly events: RiseEvent[];

  constructor(events: RiseEvent[] = []) {
    this.events = events;
  }

  static fromJSON(json: RecalibratorJSON): RiseRecalibrator {
    return new RiseRecalibrator(json.events.map((e) => new RiseEvent(e.r, e.within, e.lastAsked, e.pending, e.p, e.y)));
  }

  toJSON(): RecalibratorJSON {
    return { events: this.events.map((e) => e.toJSON()) };
  }

  /** The events tracked, with their resolved pairs and map (for status and tests). */
  describe(): { r: number; within: number; pairs: number; pending: number; map: PlattMap | null }[] {
    return this.events.map((e) => ({ r: e.r, within: e.within, pairs: e.pairs, pending: e.pending.length, map: e.fitted }));
  }

  /** After a slot is pushed: resolves the origins whose window it closes. */
  observe(series: Series): void {
    for (const e of this.events) e.resolve(series);
  }

  /** After the forecast at a new origin is recorded: keeps each tracked event's raw probability. */
  record(source: RiseSource): void {
    const origin = source.series.end - 1;
    for (const e of this.events) {
      const p = source.raw(e.r, e.within);
      if (Number.isFinite(p)) e.pending.push({ origin, p });
    }
  }

  /** The recalibrated probability for the latest origin, whose raw probability is `raw`; tracks the event from now on. */
  calibrate(r: number, within: number, raw: number, source: RiseSource): number {
    const event = this.track(r, within, source);
    const map = event.fitted;
    return map === null ? raw : applyPlatt(map, raw);
  }

  private track(r: number, within: number, source: RiseSource): RiseEvent {
    const end = source.series.end;
    let event = this.events.find((e) => e.r === r && e.within === within);
    if (!event) {
      if (this.events.length >= MAX_EVENTS) {
        const stalest = this.events.reduce((a, b) => (b.lastAsked < a.lastAsked ? b : a));
        this.events.splice(this.events.indexOf(stalest), 1);
      }
      event = new RiseEvent(r, within, end, replay(source.series, source.calibrator, r, within));
      event.resolve(source.series);
      this.events.push(event);
    }
    event.lastAsked = end;
    return event;
  }
}

/**
 * The origins the calibrator remembers, oldest first, with the raw probability each would have had:
 * its log point forecast (the stored one while it waits for outcomes, else rebuilt as the logged
 * outcome minus the residual) laid against the residual paths that were complete at that origin.
 */
export function replay(series: Series, calibrator: Calibrator, r: number, within: number): Pending[] {
  const paths = calibrator.completedPaths;
  const open = calibrator.openOrigins;
  const end = series.end;
  const count = paths.length;
  // Paths complete when an origin was issued: those whose own origin is at least a horizon older.
  const before = (origin: number): readonly (readonly number[])[] => paths.slice(0, Math.max(0, origin - end + count + 1));
  const out: Pending[] = [];
  const add = (origin: number, centers: number[]): void => {
    if (origin < series.first || centers.length < within || !centers.every(Number.isFinite)) return;
    const bar = (1 + r) * series.value(origin);
    if (!(bar > 0)) return;
    out.push({ origin, p: calibrator.crossingShare(centers, calibrator.toLog(bar), before(origin)) });
  };
  paths.forEach((path, k) => {
    const origin = end - 1 - calibrator.horizon - (count - 1 - k);
    const centers: number[] = [];
    for (let h = 1; h <= within && origin + h < end && origin + h >= series.first; h++) centers.push(calibrator.toLog(series.value(origin + h)) - path[h - 1]);
    add(origin, centers);
  });
  for (const o of open) add(end - 1 - o.residuals.length, o.forecast.slice(0, within));
  return out;
}
