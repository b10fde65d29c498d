// Synthetic series with known answers for the forecast tests.
import { ForecastOptions, Point } from "../../../automation/forecast";
import { seededRandom } from "../../../automation/forecast/random";

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2024, 0, 1);

export function series(n: number, stepMs: number, value: (i: number) => number, start = T0): Point[] {
  return Array.from({ length: n }, (_, i) => ({ t: start + i * stepMs, v: value(i) }));
}

/** A daily sine around 100 (amplitude 30), hourly. */
export const daily = (i: number): number => 100 + 30 * Math.sin((2 * Math.PI * i) / 24);

/** Standard normal draws from a seeded generator (Box–Muller). */
export function gaussian(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** An LSTM small enough for unit tests. */
export const TINY_LSTM: ForecastOptions["lstm"] = { window: 8, hiddenSize: 4, iterations: 3, maxTrainingWindows: 30, networks: 2 };
