// A trace as demand: cleaned, scaled so its peak needs a chosen number of instances, split into the
// history the forecasters learn from and the part that is replayed, and read at any instant.
import type { Point } from "../forecast";

const DAY_MS = 86_400_000;

export interface Trace {
  /** Requests/s, sorted by time, finite and non-negative: the history, then the replayed part. */
  points: Point[];
  /** Index of the first replayed point; the points before it are history known at the start. */
  start: number;
  /** Requests/s per unit of the raw series. */
  scale: number;
  stepSec: number;
}

function medianStep(points: Point[]): number {
  const gaps = points.slice(1).map((p, i) => p.t - points[i].t).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

export interface TraceOptions {
  /** The trace's maximum becomes this many instances at 100 % CPU. */
  peakInstances: number;
  capacityPerInstance: number;
  /** The replayed part is the trace's last maxReplayDays at most (long traces end with their holidays). */
  maxReplayDays: number;
  /** Share of what is left used as history, clamped to [minHistoryDays, maxHistoryDays]. */
  historyFraction: number;
  minHistoryDays: number;
  maxHistoryDays: number;
}

export const DEFAULT_TRACE_OPTIONS: TraceOptions = { peakInstances: 12, capacityPerInstance: 100, maxReplayDays: 70, historyFraction: 0.25, minHistoryDays: 2, maxHistoryDays: 28 };

export function prepareTrace(raw: Point[], o: TraceOptions = DEFAULT_TRACE_OPTIONS): Trace {
  const clean = raw.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v)).map((p) => ({ t: p.t, v: Math.max(0, p.v) }));
  clean.sort((a, b) => a.t - b.t);
  const all = clean.filter((p, i) => i === 0 || p.t > clean[i - 1].t);
  if (all.length < 10) throw new Error(`a trace needs at least 10 points, got ${all.length}`);
  const last = all[all.length - 1].t;
  const span = last - all[0].t;
  const historyMs = Math.min(o.maxHistoryDays * DAY_MS, Math.max(o.minHistoryDays * DAY_MS, Math.min(span, o.maxReplayDays * DAY_MS / (1 - o.historyFraction)) * o.historyFraction));
  const replayMs = Math.min(o.maxReplayDays * DAY_MS, span - historyMs);
  const points = all.filter((p) => p.t >= last - replayMs - historyMs);
  const peak = Math.max(...points.map((p) => p.v));
  if (peak <= 0) throw new Error("a trace needs some load: every value is 0");
  const scale = (o.peakInstances * o.capacityPerInstance) / peak;
  const scaled = points.map((p) => ({ t: p.t, v: p.v * scale }));
  const cut = last - replayMs;
  const start = Math.max(1, Math.min(points.length - 2, scaled.findIndex((p) => p.t >= cut)));
  return { points: scaled, start, scale, stepSec: medianStep(points) / 1000 };
}

/** Demand at any instant: linear between points, flat outside them. A cursor makes forward reads O(1), a binary search the others O(log n). */
export class Demand {
  private i = 0;

  constructor(private readonly points: Point[]) {}

  at(t: number): number {
    const p = this.points;
    if (t <= p[0].t) return p[0].v;
    if (t >= p[p.length - 1].t) return p[p.length - 1].v;
    if (p[this.i].t > t) this.i = this.search(t);
    while (p[this.i + 1].t < t) this.i++;
    const a = p[this.i];
    const b = p[this.i + 1];
    return a.v + ((b.v - a.v) * (t - a.t)) / (b.t - a.t);
  }

  /** The last index whose point is at or before t (t is inside the trace). */
  private search(t: number): number {
    let lo = 0;
    let hi = this.points.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid].t <= t) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}
