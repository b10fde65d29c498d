// Persistence: every step ahead is the last observed load. The baseline every other model has to beat
// (on noisy series it often beats the seasonal models at short horizons) and an ensemble member, so
// the ensemble can lean on it where nothing else is better.
import { Series } from "../series";
import { PointModel } from "./model";

export interface NaiveJSON {
  kind: "naive";
}

export class Naive implements PointModel {
  readonly description = "naive (persistence: the last observed load)";

  static fromJSON(): Naive {
    return new Naive();
  }

  forecast(series: Series, h: number): number[] {
    return new Array<number>(h).fill(series.value(series.end - 1));
  }

  observe(): void {
    // Stateless: every forecast reads the series.
  }

  toJSON(): NaiveJSON {
    return { kind: "naive" };
  }
}
