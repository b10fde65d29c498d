// The design's neural model: a brain.js LSTMTimeStep reading a window of steps, each step carrying
// the load's change from the slot before and its distance from its last hour's mean, time of day and
// day of week (sin/cos), an event flag, an anomaly flag and, when the history allows, the load one day
// before the step being forecast against the current one. Every load input and target is a difference
// divided by the typical change over the horizon and clipped: the network never sees the load's level,
// so a level it was not trained on (a shift, a spike) cannot throw it out of its range, and a spike
// in the targets cannot dominate training. It forecasts all calibrated
// horizons at once (one output per step ahead, as changes from the current load), so a forecast is a
// single pass and errors do not compound through fed-back outputs. Several networks from different
// seeds are trained on the same windows and averaged: small LSTMs vary a lot with their initial
// weights, and the average is steadier than any one of them. brain.js's own train() requires
// output size = input size, so training drives the network's equations directly, the same way
// train() does: forward each step against its target, backpropagate, adjust weights (RMSProp).
import { recurrent } from "brain.js";
import { seededRandom, shuffled, withRandom } from "../random";
import { Series } from "../series";
import { quantile } from "../stats";
import { ModelFailure, PointModel, Periods } from "./model";

type Net = InstanceType<typeof recurrent.LSTMTimeStep>;
type NetJSON = ReturnType<Net["toJSON"]>;

export interface LstmConfig {
  window: number;
  hiddenSize: number;
  iterations: number;
  learningRate: number;
  maxTrainingWindows: number;
  dailyLagInput: boolean;
  /** Networks trained from successive seeds and averaged. */
  networks: number;
  /** Steps forecast per pass (the calibrated horizon). */
  horizon: number;
  seed: number;
}

export interface LstmJSON {
  kind: "lstm";
  config: LstmConfig;
  /** Typical absolute change over the horizon: load differences are divided by it. */
  scale?: number;
  /** Models saved before the level-free inputs had a range (low, high) and no scale: not usable. */
  low?: number;
  high?: number;
  /** Daily period used for the lag input, or null without it. */
  lagPeriod: number | null;
  trainingError: number;
  nets: NetJSON[];
}

/** Training windows needed before the LSTM is worth training at all. */
const MIN_WINDOWS = 20;
/** Slots of the local mean an input compares the load with. */
const MEAN_SLOTS = 12;
/** Scaled differences beyond this are clipped (inputs and targets). */
const CLIP = 4;

const TAU = 2 * Math.PI;

const clip = (x: number): number => (x > CLIP ? CLIP : x < -CLIP ? -CLIP : x);

/** Inputs for slot i, given the load at any slot (history or already-forecast future) and the scale. */
function features(series: Series, u: (i: number) => number, scale: number, i: number, lagOffset: number | null, known: boolean): Float32Array {
  const { dayFraction, weekday, event } = series.calendarAt(i);
  const week = (weekday + dayFraction) / 7;
  const anomalous = known && series.flag(i) !== 0 ? 1 : 0;
  let mean = 0;
  for (let j = i - MEAN_SLOTS + 1; j <= i; j++) mean += u(j) / MEAN_SLOTS;
  const row = [
    clip((u(i) - u(i - 1)) / scale),
    clip((u(i) - mean) / scale),
    Math.sin(TAU * dayFraction),
    Math.cos(TAU * dayFraction),
    Math.sin(TAU * week),
    Math.cos(TAU * week),
    event === null ? 0 : 1,
    anomalous,
  ];
  if (lagOffset !== null) row.push(clip((u(i + lagOffset) - u(i)) / scale));
  return Float32Array.from(row);
}

export class Lstm implements PointModel {
  private constructor(
    readonly config: LstmConfig,
    private readonly nets: Net[],
    /** Null for a model saved before the level-free inputs: it cannot forecast until refitted. */
    private readonly scale: number | null,
    private readonly lagPeriod: number | null,
    /** Mean over the networks of their last epoch's error per output. */
    readonly trainingError: number,
  ) {
    for (const net of nets) while (net.model.equations.length < config.window) net.bindEquation();
  }

  static fromJSON(json: LstmJSON): Lstm {
    const nets = json.nets.map((saved) => {
      const net = new recurrent.LSTMTimeStep();
      net.fromJSON(saved);
      return net;
    });
    return new Lstm(json.config, nets, json.scale ?? null, json.lagPeriod, json.trainingError);
  }

  get description(): string {
    const c = this.config;
    return `lstm (window ${c.window}, hidden ${c.hiddenSize}, ${c.iterations} iterations, ${this.nets.length} network(s) averaged, ${this.lagPeriod ? "with" : "without"} daily lag input; training error ${this.trainingError.toPrecision(3)})`;
  }

  /** Offset from a step to the slot whose load is its lag input: one day before the horizon's end. */
  private get lagOffset(): number | null {
    return this.lagPeriod === null ? null : this.config.horizon - this.lagPeriod;
  }

  forecast(series: Series, h: number): number[] {
    const { window, horizon } = this.config;
    const scale = this.scale;
    if (scale === null) throw new ModelFailure("lstm saved in an older format (scaled levels): refit needed");
    const last = series.end - 1;
    const extension: number[] = [];
    const u = (i: number): number => (i <= last ? series.value(i) : extension[i - last - 1]);
    let origin = last;
    while (extension.length < h) {
      const inputs = Array.from({ length: window }, (_, s) => {
        const i = origin - window + 1 + s;
        return features(series, u, scale, i, this.lagOffset, i <= last);
      });
      const mean = new Array<number>(horizon).fill(0);
      for (const net of this.nets) {
        let out: Float32Array = new Float32Array(0);
        inputs.forEach((x, s) => (out = net.model.equations[s].runInput(x).weights));
        for (let k = 0; k < horizon; k++) mean[k] += out[k] / this.nets.length;
      }
      const current = u(origin);
      for (let k = 0; k < horizon; k++) extension.push(Math.max(current + scale * mean[k], 0));
      origin += horizon;
    }
    const values = extension.slice(0, h);
    if (!values.every(Number.isFinite)) throw new ModelFailure("lstm output is NaN or infinite (diverged)");
    return values;
  }

  observe(): void {
    // The window is read from the series at each forecast; weights change only on refit.
  }

  toJSON(): LstmJSON {
    return {
      kind: "lstm",
      config: this.config,
      ...(this.scale === null ? {} : { scale: this.scale }),
      lagPeriod: this.lagPeriod,
      trainingError: this.trainingError,
      nets: this.nets.map((net) => net.toJSON()),
    };
  }

  /**
   * Trains on the series as it stands. Returns a reason instead of a model when the history is too
   * short or training diverges (NaN or infinite error or weights).
   */
  static train(series: Series, config: LstmConfig, periods: Periods, notes: string[]): Lstm | string {
    const { window, horizon } = config;
    const first = series.first;
    const last = series.end - 1;
    // A window's first slot reads MEAN_SLOTS − 1 slots before it, and (with the lag) a day minus the horizon.
    const windowsWith = (lag: number | null): number => last - horizon - (first + window - 1 + Math.max(MEAN_SLOTS - 1, lag === null ? 0 : lag - horizon)) + 1;
    let lagPeriod = config.dailyLagInput && periods.daily !== null && periods.daily > horizon ? periods.daily : null;
    if (lagPeriod !== null && windowsWith(lagPeriod) < MIN_WINDOWS) {
      notes.push("lstm: under a day of history beyond the window; trained without the daily lag input");
      lagPeriod = null;
    }
    const available = windowsWith(lagPeriod);
    if (available < MIN_WINDOWS) {
      return `history of ${last - first + 1} slots is too short for window ${window} + horizon ${horizon} (needs ${window + horizon + MIN_WINDOWS - 1})`;
    }
    const scale = changeScale(series, horizon);
    const u = (i: number): number => series.value(i);
    const lagOffset = lagPeriod === null ? null : horizon - lagPeriod;

    const lastEnd = last - horizon;
    const firstEnd = lastEnd - available + 1;
    const count = Math.min(config.maxTrainingWindows, available);
    const ends = Array.from({ length: count }, (_, j) => firstEnd + (count === 1 ? 0 : Math.round((j * (available - 1)) / (count - 1))));
    const inputs = new Map<number, Float32Array>();
    const targets = new Map<number, Float32Array>();
    for (const e of ends) {
      for (let i = e - window + 1; i <= e; i++) {
        if (inputs.has(i)) continue;
        inputs.set(i, features(series, u, scale, i, lagOffset, true));
        targets.set(i, Float32Array.from({ length: horizon }, (_, k) => clip((u(i + k + 1) - u(i)) / scale)));
      }
    }

    const nets: Net[] = [];
    const errors: number[] = [];
    for (let k = 0; k < config.networks; k++) {
      const trained = trainNetwork(config, config.seed + k, lagPeriod === null ? 8 : 9, ends, inputs, targets);
      if (typeof trained === "string") return trained;
      nets.push(trained.net);
      errors.push(trained.error);
    }
    return new Lstm(config, nets, scale, lagPeriod, errors.reduce((a, b) => a + b, 0) / errors.length);
  }
}

/**
 * Median absolute change over `horizon` slots between clean slots: the unit of every load input and
 * target, so a typical horizon's move is about 1 whatever the load's units.
 */
function changeScale(series: Series, horizon: number): number {
  const changes: number[] = [];
  for (let i = series.first; i + horizon < series.end; i++) {
    if (series.flag(i) !== 0 || series.flag(i + horizon) !== 0) continue;
    const change = Math.abs(series.value(i + horizon) - series.value(i));
    if (Number.isFinite(change)) changes.push(change);
  }
  const typical = changes.length > 0 ? quantile(changes, 0.5) : 0;
  if (typical > 0) return typical;
  // A flat history: any positive unit will do, relative to the level so it is not lost in rounding.
  return 1e-3 * (Math.abs(series.value(series.end - 1)) || 1);
}

/** Trains one network on the given windows; a reason instead when training diverges. */
function trainNetwork(
  config: LstmConfig,
  seed: number,
  inputSize: number,
  ends: readonly number[],
  inputs: Map<number, Float32Array>,
  targets: Map<number, Float32Array>,
): { net: Net; error: number } | string {
  const { window, horizon } = config;
  const random = seededRandom(seed);
  let error = NaN;
  const net = withRandom(random, () => {
    const n = new recurrent.LSTMTimeStep({ inputSize, hiddenLayers: [config.hiddenSize], outputSize: horizon, learningRate: config.learningRate });
    n.initialize();
    while (n.model.equations.length < window) n.bindEquation();
    for (let epoch = 0; epoch < config.iterations; epoch++) {
      let sum = 0;
      for (const e of shuffled(ends, random)) {
        for (let s = 0; s < window; s++) {
          const i = e - window + 1 + s;
          sum += n.model.equations[s].predictTarget(inputs.get(i) as Float32Array, targets.get(i) as Float32Array);
        }
        n.backpropagate();
        n.adjustWeights();
      }
      error = sum / (ends.length * window * horizon);
      if (!Number.isFinite(error)) break;
    }
    return n;
  });
  if (!Number.isFinite(error)) return `training diverged (error ${error})`;
  if (!net.model.allMatrices.every((m) => m.weights.every(Number.isFinite))) return "training diverged (non-finite weights)";
  return { net, error };
}
