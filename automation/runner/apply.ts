// Apply: the decision becomes stack config — one setAllConfig with every key the program reads —
// then one `up`. Before it, the platform's TrafficRouter moves what it can at once (weights, mirror
// percent, instances out of rotation), so traffic moves this second and the `up` makes it durable.
import { ConcurrentUpdateError, Stack } from "@pulumi/pulumi/automation";
import { StackSpec } from "../../components/config";
import { snapshotConfig, writeConfig } from "../engine";
import { applyChangesToConfig, Change } from "../decide";

export interface ApplyResult {
  applied: boolean;
  upMs?: number;
  summary?: string;
  skipped?: string;
}

export async function applyChanges(stack: Stack, spec: StackSpec, changes: Change[], onOutput?: (s: string) => void): Promise<ApplyResult> {
  if (changes.length === 0) return { applied: false, skipped: "no changes" };
  const restore = await snapshotConfig(stack);
  await writeConfig(stack, { "understudy:services": applyChangesToConfig(spec, changes) });
  const t = Date.now();
  try {
    const r = await stack.up({ onOutput });
    return { applied: true, upMs: Date.now() - t, summary: JSON.stringify(r.summary.resourceChanges ?? {}) };
  } catch (e) {
    // The config must keep describing what was last deployed: decide() reads its counts from it, so
    // a config left ahead of a failed `up` would hide the changes from every later tick and they
    // would never be applied. Put it back; the next tick decides, and applies, again.
    await restore();
    // Someone else (an engineer's `pulumi up`, another runner) holds the stack: try next tick.
    if (e instanceof ConcurrentUpdateError) return { applied: false, skipped: "another update is running; retrying next tick" };
    throw e;
  }
}
