// Apply: the decision becomes stack config — one setAllConfig with every key the program reads —
// then one `up`. Weight and mirror changes also go to the load balancer at once through its runtime
// API, so traffic moves this second and the `up` only makes it durable.
import { ConcurrentUpdateError, Stack } from "@pulumi/pulumi/automation";
import { StackSpec } from "../../components/config";
import { snapshotConfig, writeConfig } from "../engine";
import { localWeights } from "../canary/weights";
import { applyChangesToConfig, Change } from "../decide";

export interface ApplyResult {
  applied: boolean;
  upMs?: number;
  summary?: string;
  skipped?: string;
}

export interface FastPath {
  done: string[];
  /** Puts back what must not outlive a failed `up`: instances taken out of rotation. */
  undo(): Promise<void>;
}

export async function fastPath(stateDir: string, spec: StackSpec, changes: Change[]): Promise<FastPath> {
  const done: string[] = [];
  const undo: (() => Promise<void>)[] = [];
  if (spec.platform === "local") {
    for (const c of changes) {
      const routing = localWeights(stateDir, c.service);
      if (c.kind === "setWeights" || c.kind === "setMirror") {
        await routing.set(c.kind === "setWeights" ? "shadow_weight" : "mirror_percent", c.to);
        done.push(`${c.service}: ${c.kind} ${c.from} → ${c.to} % via the runtime API`);
      } else if (c.kind === "demote" || c.kind === "drain") {
        // Out of rotation before the `up` stops it: requests in flight finish, no new one is sent to
        // a process about to go (and no pooled server connection is reused under it).
        await routing.setLiveServer(c.instance, "maint");
        undo.push(() => routing.setLiveServer(c.instance, "ready"));
        done.push(`${c.service}: ${c.instance} out of rotation via the runtime API`);
      }
    }
  }
  return {
    done,
    undo: async () => {
      for (const u of undo.reverse()) await u();
    },
  };
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
