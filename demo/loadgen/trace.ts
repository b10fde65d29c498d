// Rate traces: parse a `timestamp,value` CSV, map it to a request-rate schedule over wall time, and
// turn the schedule into send times (open loop).
import * as fs from "node:fs";

export interface Trace {
  /** Milliseconds since the epoch, strictly increasing. */
  timestamps: number[];
  values: number[];
  /** Data rows that were skipped (unparsable timestamp or value, duplicate timestamp). */
  skipped: number;
}

/** Request rate over wall time: piecewise linear through the points, constant after the last. */
export interface RateSchedule {
  /** Seconds from the start of the run, strictly increasing, t[0] = 0. */
  t: number[];
  rps: number[];
}

export class TraceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TraceError";
  }
}

/** "2014-07-01 00:00:00" (UTC, as in NAB), ISO 8601, or epoch seconds / milliseconds. */
export function parseTimestamp(s: string): number {
  const t = s.trim().replace(/^"(.*)"$/, "$1");
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return Math.abs(n) >= 1e11 ? n : n * 1000;
  }
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (m) return Date.parse(`${m[1]}T${m[2]}${m[5] ?? "Z"}`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return Date.parse(`${t}T00:00:00Z`);
  return NaN;
}

export function parseTrace(text: string, source = "trace"): Trace {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h].trim() === "") h++;
  if (h === lines.length) throw new TraceError(`${source}: empty file (expected a header "timestamp,value")`);
  const header = lines[h].split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1").toLowerCase());
  const ti = header.indexOf("timestamp");
  const vi = header.indexOf("value");
  if (ti < 0 || vi < 0) {
    throw new TraceError(`${source}: bad header ${JSON.stringify(lines[h].trim())} (expected columns "timestamp" and "value")`);
  }
  const rows: [number, number][] = [];
  let skipped = 0;
  for (let i = h + 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const cols = line.split(",");
    const ts = parseTimestamp(cols[ti] ?? "");
    const vs = (cols[vi] ?? "").trim();
    const v = vs === "" ? NaN : Number(vs);
    if (!Number.isFinite(ts) || !Number.isFinite(v)) {
      skipped++;
      continue;
    }
    rows.push([ts, v]);
  }
  if (rows.length === 0) throw new TraceError(`${source}: no rows with a valid timestamp and numeric value`);
  rows.sort((a, b) => a[0] - b[0]);
  const timestamps: number[] = [];
  const values: number[] = [];
  for (const [ts, v] of rows) {
    if (timestamps.length > 0 && timestamps[timestamps.length - 1] === ts) {
      skipped++;
      continue;
    }
    timestamps.push(ts);
    values.push(v);
  }
  return { timestamps, values, skipped };
}

export function loadTrace(path: string): Trace {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new TraceError(`trace file not found: ${path}`);
    throw new TraceError(`cannot read trace file ${path}: ${code ?? (e as Error).message}`);
  }
  return parseTrace(text, path);
}

export interface ScheduleOptions {
  /** Trace time per wall time: 600 → 10 minutes of trace per second. */
  compress: number;
  /** linear: values scaled so the trace's min → baseRps and max → peakRps; absolute: values are rps. */
  scale: "linear" | "absolute";
  baseRps?: number;
  peakRps?: number;
  /** Trace time (ms since the epoch) at which the run starts; default the first row. */
  startAt?: number;
}

export function buildSchedule(trace: Trace, o: ScheduleOptions): RateSchedule {
  if (!(o.compress > 0)) throw new RangeError(`compress must be > 0, got ${o.compress}`);
  const { timestamps: ts, values } = trace;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  let map: (v: number) => number;
  if (o.scale === "absolute") {
    map = (v) => Math.max(0, v);
  } else {
    const base = o.baseRps ?? 0;
    const peak = o.peakRps ?? base;
    if (!(base >= 0) || !(peak >= base)) throw new RangeError(`need 0 <= base-rps <= peak-rps, got ${base} and ${peak}`);
    map = max > min ? (v) => base + ((v - min) / (max - min)) * (peak - base) : () => base;
  }
  const start = o.startAt ?? ts[0];
  if (!Number.isFinite(start) || start > ts[ts.length - 1]) throw new RangeError("start time is not within the trace");
  const t: number[] = [0];
  const rps: number[] = [map(valueAt(trace, start))];
  for (let i = 0; i < ts.length; i++) {
    if (ts[i] <= start) continue;
    t.push((ts[i] - start) / 1000 / o.compress);
    rps.push(map(values[i]));
  }
  return { t, rps };
}

function valueAt(trace: Trace, at: number): number {
  return interp(trace.timestamps, trace.values, at);
}

function interp(xs: number[], ys: number[], x: number): number {
  if (x <= xs[0]) return ys[0];
  const last = xs.length - 1;
  if (x >= xs[last]) return ys[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  const f = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + f * (ys[hi] - ys[lo]);
}

export function constantSchedule(rps: number): RateSchedule {
  if (!(rps >= 0) || !Number.isFinite(rps)) throw new RangeError(`rps must be a finite number >= 0, got ${rps}`);
  return { t: [0], rps: [rps] };
}

/** Request rate (per second) at wall time tSec: linear between points, held before the first and after the last. */
export function rateAt(s: RateSchedule, tSec: number): number {
  return interp(s.t, s.rps, tSec);
}

/** Expected number of requests in [0, durationSec): the integral of the rate. */
export function expectedRequests(s: RateSchedule, durationSec: number): number {
  let total = 0;
  for (let i = 0; i < s.t.length && s.t[i] < durationSec; i++) {
    const t0 = s.t[i];
    const t1 = i + 1 < s.t.length ? Math.min(s.t[i + 1], durationSec) : durationSec;
    total += ((rateAt(s, t0) + rateAt(s, t1)) / 2) * (t1 - t0);
  }
  return total;
}

/**
 * Send times (seconds) in [0, durationSec), at most maxRequests of them. Request k is sent when the
 * integral of the rate reaches its target: k for uniform arrivals (deterministic spacing 1/rate),
 * a sum of Exp(1) draws for Poisson arrivals.
 */
export function* sendTimes(
  s: RateSchedule,
  durationSec: number,
  maxRequests: number,
  arrivals: "uniform" | "poisson" = "uniform",
  random: () => number = Math.random,
): Generator<number> {
  const step = () => (arrivals === "poisson" ? -Math.log(1 - random()) : 1);
  let target = arrivals === "poisson" ? step() : 0; // cumulative-rate value of the next send
  let acc = 0; // integral of the rate from 0 to the start of segment i
  let count = 0;
  for (let i = 0; i < s.t.length && count < maxRequests; i++) {
    const t0 = s.t[i];
    if (t0 >= durationSec) return;
    const last = i + 1 >= s.t.length;
    const t1 = last ? durationSec : Math.min(s.t[i + 1], durationSec);
    const r0 = s.rps[i];
    const slope = last ? 0 : (s.rps[i + 1] - r0) / (s.t[i + 1] - t0);
    const segArea = r0 * (t1 - t0) + (slope * (t1 - t0) ** 2) / 2;
    while (segArea > 0 && target <= acc + segArea && count < maxRequests) {
      const need = target - acc;
      // Solve r0*dt + slope*dt²/2 = need for dt >= 0 (stable form of the quadratic root).
      const disc = Math.max(0, r0 * r0 + 2 * slope * need);
      const denom = r0 + Math.sqrt(disc);
      const dt = need === 0 ? 0 : denom > 0 ? (2 * need) / denom : 0;
      const at = t0 + dt;
      if (at >= durationSec) return;
      yield at;
      count++;
      target += step();
    }
    acc += segArea;
  }
}
