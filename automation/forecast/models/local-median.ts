// Local median: every step ahead is the median of the last few loads. On spiky series (CPU, network
// bytes) it is the robust form of persistence: a spike in the last slot, which persistence carries
// forward whole, barely moves it, and MASE (an absolute error) is minimised by a median.
import { Series } from "../series";
import { median } from "../stats";
import { PointModel } from "./model";

export interface LocalMedianJSON {
  kind: "local-median";
}

/** Slots the median reads: half an hour at 5-minute steps. */
export const LOCAL_SLOTS = 6;

export class LocalMedian implements PointModel {
  readonly description = `local-median (median of the last ${LOCAL_SLOTS} loads)`;

  static fromJSON(): LocalMedian {
    return new LocalMedian();
  }

  forecast(series: Series, h: number): number[] {
    const recent: number[] = [];
    for (let i = Math.max(series.first, series.end - LOCAL_SLOTS); i < series.end; i++) recent.push(series.value(i));
    return new Array<number>(h).fill(median(recent));
  }

  observe(): void {
    // Stateless: every forecast reads the series.
  }

  toJSON(): LocalMedianJSON {
    return { kind: "local-median" };
  }
}
