// Drives a canary rollout: every interval, read the analysis window, advance the state machine,
// apply the weight. Used by the runner and by `npm run canary`.
import { MetricsSource } from "../metrics/source";
import { readAnalysis } from "./analysis";
import { advance, CanaryPolicy, CanaryState, start } from "./rollout";

/** The shadows' share of one service's traffic (a TrafficRouter bound to the service). */
export interface WeightSetter {
  setShadowWeight(percent: number): Promise<void>;
}

export interface CanaryRun {
  service: string;
  policy: CanaryPolicy;
  metrics: MetricsSource;
  weights: WeightSetter;
  /** How often to look (default: a fifth of the interval, at least 1 s). */
  pollMs?: number;
  onState?: (s: CanaryState) => void;
  signal?: AbortSignal;
  /** Give up (paused, weight kept) after this long; default four times the whole schedule. */
  deadlineMs?: number;
  now?: () => number;
}

export async function runCanary(r: CanaryRun): Promise<CanaryState> {
  const now = r.now ?? Date.now;
  const poll = r.pollMs ?? Math.max(1000, (r.policy.intervalSec * 1000) / 5);
  let s = start(now(), r.policy);
  const deadline = now() + (r.deadlineMs ?? 4 * r.policy.steps.length * r.policy.intervalSec * 1000);
  await r.weights.setShadowWeight(s.weight);
  r.onState?.(s);
  while (s.status === "running" || s.status === "paused") {
    await new Promise((res) => setTimeout(res, poll));
    if (r.signal?.aborted) break;
    if (now() > deadline) {
      s = { ...s, status: "paused", reason: `gave up at ${s.weight} % after the deadline: ${s.reason}` };
      r.onState?.(s);
      break;
    }
    let a;
    try {
      a = await readAnalysis(r.metrics, r.service, r.policy.intervalSec);
    } catch (e) {
      // Prometheus unreachable is missing data: pause, don't crash.
      s = { ...s, status: "paused", reason: `paused at ${s.weight} %: ${(e as Error).message}` };
      r.onState?.(s);
      continue;
    }
    const next = advance(s, a, now(), r.policy);
    if (next.weight !== s.weight) await r.weights.setShadowWeight(next.weight);
    if (next.reason !== s.reason || next.status !== s.status) r.onState?.(next);
    s = next;
  }
  return s;
}
