// The canary judge and state machine: pure. Weight moves to the shadows one step per interval while
// the analysis passes; a failed analysis rolls back to 0 at once; missing data pauses (never promotes).
// `judge` and `CanaryPolicy` are shared with decide()'s rollout rule (understudy:policy.canary), so the
// CLI canary and the runner judge shadows against live the same way.

export interface CanaryPolicy {
  /** Shadow weight percents, strictly increasing (default 5, 10, 25, 50, 100); understudy:policy's must end at 100, where the roles swap. */
  steps: number[];
  /** How long each step must pass before the next; the CLI also reads its analysis over this window. */
  intervalSec: number;
  /** Shadow error rate may exceed live's by at most this (absolute, 0.01 = 1 point). */
  maxErrorRateDelta: number;
  /** Shadow p99 may be at most this multiple of live's. */
  maxP99Ratio: number;
  /** Fewer shadow requests than this in the window is no evidence either way. */
  minRequests: number;
  /** A shadow p99 under this many ms is never a latency regression (ratios of tiny numbers are noise). */
  p99FloorMs: number;
}

/**
 * intervalSec 60 (the CLI used 30, the runner 60): the runner's observations are rates over 30 s
 * (automation/runner/observe.ts) and it ticks every 30 s by default, so a 30 s step would be judged by
 * a single window that partly predates the step. 60 s is two ticks and at least one full rate window
 * inside every step; the CLI, which reads its analysis over intervalSec, gets twice the requests
 * towards minRequests at low traffic. The cost: the five default steps take 5 minutes, not 2.5.
 */
export const DEFAULT_CANARY: CanaryPolicy = { steps: [5, 10, 25, 50, 100], intervalSec: 60, maxErrorRateDelta: 0.01, maxP99Ratio: 1.5, minRequests: 20, p99FloorMs: 50 };

export interface RoleStats {
  requests: number;
  errorRate: number;
  p99Ms: number;
}

/** What Prometheus said about the last window; undefined = no data. */
export interface Analysis {
  live?: RoleStats;
  shadow?: RoleStats;
}

export type CanaryStatus = "running" | "paused" | "promoted" | "rolledBack";

export interface CanaryState {
  status: CanaryStatus;
  /** Index into policy.steps of the current weight; -1 before the first step. */
  step: number;
  weight: number;
  /** When the current step began (epoch ms). */
  since: number;
  reason: string;
  /** The live side's last good window: the yardstick once the shadows take all the traffic. */
  baseline?: RoleStats;
}

export type Verdict = { verdict: "pass" | "fail" | "inconclusive"; reason: string };

export function judge(a: Analysis, p: CanaryPolicy): Verdict {
  if (!a.live || !a.shadow) return { verdict: "inconclusive", reason: `no ${!a.live ? "live" : "shadow"} metrics in the window` };
  if (a.shadow.requests < p.minRequests) return { verdict: "inconclusive", reason: `only ${a.shadow.requests.toFixed(0)} shadow requests in the window (need ${p.minRequests})` };
  const delta = a.shadow.errorRate - a.live.errorRate;
  if (delta > p.maxErrorRateDelta) {
    return { verdict: "fail", reason: `shadow error rate ${(a.shadow.errorRate * 100).toFixed(1)} % vs live ${(a.live.errorRate * 100).toFixed(1)} % (allowed +${(p.maxErrorRateDelta * 100).toFixed(1)} points)` };
  }
  // Live's p99 is floored too, so a near-zero live p99 does not fail every shadow.
  const yardstick = Math.max(a.live.p99Ms, p.p99FloorMs / p.maxP99Ratio);
  if (a.shadow.p99Ms > p.p99FloorMs && a.shadow.p99Ms > p.maxP99Ratio * yardstick) {
    const ratio = a.live.p99Ms > 0 ? `${(a.shadow.p99Ms / a.live.p99Ms).toFixed(2)}×` : "above";
    return { verdict: "fail", reason: `shadow p99 ${a.shadow.p99Ms.toFixed(0)} ms is ${ratio} live's ${a.live.p99Ms.toFixed(0)} ms (allowed ${p.maxP99Ratio}×)` };
  }
  return {
    verdict: "pass",
    reason: `shadow error rate ${(a.shadow.errorRate * 100).toFixed(1)} % vs live ${(a.live.errorRate * 100).toFixed(1)} %, p99 ${a.shadow.p99Ms.toFixed(0)} ms vs ${a.live.p99Ms.toFixed(0)} ms over ${a.shadow.requests.toFixed(0)} shadow requests: within bounds`,
  };
}

export function start(now: number, p: CanaryPolicy): CanaryState {
  return { status: "running", step: 0, weight: p.steps[0], since: now, reason: `canary started at ${p.steps[0]} %` };
}

/** One tick: judge the window and move (or not). Terminal states stay put. */
export function advance(s: CanaryState, a: Analysis, now: number, p: CanaryPolicy): CanaryState {
  if (s.status === "promoted" || s.status === "rolledBack") return s;
  const live = a.live && a.live.requests >= p.minRequests ? a.live : s.baseline;
  const v = judge({ live, shadow: a.shadow }, p);
  s = { ...s, baseline: live };
  if (v.verdict === "fail") return { ...s, status: "rolledBack", step: -1, weight: 0, since: now, reason: `rolled back: ${v.reason}` };
  if (v.verdict === "inconclusive") return { ...s, status: "paused", reason: `paused at ${s.weight} %: ${v.reason}` };
  if (now - s.since < p.intervalSec * 1000) return { ...s, status: "running", reason: `holding ${s.weight} % until the interval ends: ${v.reason}` };
  const next = s.step + 1;
  if (next >= p.steps.length) return { ...s, status: "promoted", since: now, reason: `promoted at ${s.weight} %: ${v.reason}` };
  return { ...s, status: "running", step: next, weight: p.steps[next], since: now, reason: `advanced to ${p.steps[next]} %: ${v.reason}` };
}

export function validatePolicy(p: CanaryPolicy): CanaryPolicy {
  const bad = (what: string): never => {
    throw new Error(`invalid canary policy: ${what}`);
  };
  if (p.steps.length === 0) bad("steps must not be empty");
  p.steps.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 1 || w > 100) bad(`step ${w} must be an integer percent 1-100`);
    if (i > 0 && w <= p.steps[i - 1]) bad(`steps must increase (${p.steps.join(", ")})`);
  });
  if (!(p.intervalSec > 0)) bad("intervalSec must be > 0");
  if (!(p.maxErrorRateDelta >= 0)) bad("maxErrorRateDelta must be ≥ 0");
  if (!(p.maxP99Ratio >= 1)) bad("maxP99Ratio must be ≥ 1");
  return p;
}
