// Pure summary statistics over load records.
import { KINDS, LoadRecords, type Kind, type RequestRecord } from "./records";

export const DEFAULT_LATE_MS = 10;

type Numbers = ArrayLike<number>;

function isSorted(a: Numbers): boolean {
  for (let i = 1; i < a.length; i++) if (a[i - 1] > a[i]) return false;
  return true;
}

/**
 * Nearest-rank percentile (p in [0, 100]) of the finite values; the input may be sorted or not and
 * is never modified. NaN for an empty input.
 */
export function percentile(values: Numbers, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile p must be in [0, 100], got ${p}`);
  let v: Numbers = values;
  let hasNaN = false;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) hasNaN = true;
  if (hasNaN) v = Array.from(values).filter((x) => Number.isFinite(x));
  if (v.length === 0) return NaN;
  if (!isSorted(v)) v = Float64Array.from(v).sort();
  if (p === 0) return v[0];
  const rank = Math.ceil((p / 100) * v.length);
  return v[Math.min(v.length, Math.max(1, rank)) - 1];
}

export interface LatencyStats {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export function latencyStats(values: Numbers): LatencyStats {
  const sorted = Float64Array.from(Array.from(values).filter((x) => Number.isFinite(x))).sort();
  const r = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
  let sum = 0;
  for (const x of sorted) sum += x;
  return {
    count: sorted.length,
    p50: r(percentile(sorted, 50)),
    p90: r(percentile(sorted, 90)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted.length ? sorted[sorted.length - 1] : NaN),
    mean: r(sorted.length ? sum / sorted.length : NaN),
  };
}

export interface KindSummary {
  requests: number;
  ok: number;
  failed: number;
  latencyMs: LatencyStats;
}

export interface LoadSummary {
  /** Requests issued (each is ok, failed or — only when summarizing a run still going — pending). */
  requests: number;
  /** 2xx responses. */
  ok: number;
  /** Non-2xx responses or errors without a response. */
  failed: number;
  pending: number;
  /** Sent more than lateMs after their scheduled time (or never sent). */
  late: number;
  lateMs: number;
  durationSec: number;
  achievedRps: number;
  /** Send to end of response. */
  latencyMs: LatencyStats;
  /** Scheduled time to end of response: includes time queued for a socket (no coordinated omission). */
  scheduledLatencyMs: LatencyStats;
  /** Sent minus scheduled. */
  sendLagMs: LatencyStats;
  byKind: Record<Kind, KindSummary>;
  /** Counts by HTTP status ("201") or error code ("ECONNREFUSED"). */
  outcomes: Record<string, number>;
}

export interface SummarizeOptions {
  /** Wall time over which requests were scheduled; derived from the records when absent. */
  durationSec?: number;
  lateMs?: number;
}

export function summarize(input: LoadRecords | readonly RequestRecord[], opts: SummarizeOptions = {}): LoadSummary {
  const recs = input instanceof LoadRecords ? input : LoadRecords.from(input);
  const lateMs = opts.lateMs ?? DEFAULT_LATE_MS;
  const n = recs.length;
  const lat: number[] = [];
  const schedLat: number[] = [];
  const lag: number[] = [];
  const perKind = new Map<Kind, { ok: number; failed: number; requests: number; lat: number[] }>();
  for (const k of KINDS) perKind.set(k, { ok: 0, failed: 0, requests: 0, lat: [] });
  const outcomes: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let pending = 0;
  let late = 0;
  let firstSched = Infinity;
  let lastSched = -Infinity;
  for (let i = 0; i < n; i++) {
    const k = perKind.get(recs.kindAt(i))!;
    k.requests++;
    const sched = recs.scheduledAt(i);
    const sent = recs.sentAt(i);
    firstSched = Math.min(firstSched, sched);
    lastSched = Math.max(lastSched, sched);
    if (Number.isNaN(sent) || sent - sched > lateMs) late++;
    if (!Number.isNaN(sent)) lag.push(sent - sched);
    if (!recs.doneAt(i)) {
      pending++;
      continue;
    }
    const l = recs.latencyAt(i);
    lat.push(l);
    k.lat.push(l);
    schedLat.push((Number.isNaN(sent) ? sched : sent) + l - sched);
    const key = recs.errorAt(i) ?? String(recs.statusAt(i));
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (recs.okAt(i)) {
      ok++;
      k.ok++;
    } else {
      failed++;
      k.failed++;
    }
  }
  let durationSec = opts.durationSec;
  let achievedRps: number;
  if (durationSec === undefined) {
    // n requests scheduled at [first, last]: n-1 intervals.
    const span = n > 1 ? (lastSched - firstSched) / 1000 : 0;
    durationSec = span;
    achievedRps = span > 0 ? (n - 1) / span : 0;
  } else {
    achievedRps = durationSec > 0 ? n / durationSec : 0;
  }
  const byKind = {} as Record<Kind, KindSummary>;
  for (const [kind, k] of perKind) byKind[kind] = { requests: k.requests, ok: k.ok, failed: k.failed, latencyMs: latencyStats(k.lat) };
  return {
    requests: n,
    ok,
    failed,
    pending,
    late,
    lateMs,
    durationSec: Math.round(durationSec * 1000) / 1000,
    achievedRps: Math.round(achievedRps * 100) / 100,
    latencyMs: latencyStats(lat),
    scheduledLatencyMs: latencyStats(schedLat),
    sendLagMs: latencyStats(lag),
    byKind,
    outcomes,
  };
}

export function formatSummary(s: LoadSummary): string {
  const f = (x: number | null) => (x === null ? "-" : x.toFixed(1));
  const row = (name: string, k: { requests: number; ok: number; failed: number; latencyMs: LatencyStats }) =>
    `${name.padEnd(10)} ${String(k.requests).padStart(8)} ${String(k.ok).padStart(8)} ${String(k.failed).padStart(8)} ` +
    `${f(k.latencyMs.p50).padStart(8)} ${f(k.latencyMs.p90).padStart(8)} ${f(k.latencyMs.p99).padStart(8)} ${f(k.latencyMs.max).padStart(8)}`;
  const lines = [
    `duration ${s.durationSec}s, achieved ${s.achievedRps} req/s, late sends (> ${s.lateMs} ms) ${s.late}, pending ${s.pending}`,
    `${"kind".padEnd(10)} ${"requests".padStart(8)} ${"ok".padStart(8)} ${"failed".padStart(8)} ${"p50 ms".padStart(8)} ${"p90 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"max ms".padStart(8)}`,
    row("all", s),
    ...KINDS.filter((k) => s.byKind[k].requests > 0).map((k) => row(k, s.byKind[k])),
    `from schedule: p50 ${f(s.scheduledLatencyMs.p50)} p99 ${f(s.scheduledLatencyMs.p99)} max ${f(s.scheduledLatencyMs.max)} ms`,
    `outcomes: ${Object.entries(s.outcomes)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
  ];
  return lines.join("\n");
}
