// The local platform's TrafficRouter: HAProxy's runtime API moves weights and mirroring at once and
// takes a leaving live instance out of rotation before the `up` stops it; a promoted shadow turns live
// in place (promotion.ts); the `up` makes it durable.
import * as path from "node:path";
import type { StackSpec } from "../../../config";
import type { Change } from "../../../../automation/decide";
import type { FastPath, TrafficRouter } from "../../../../automation/platform/seams";
import { promoteInPlace } from "./promotion";
import { localWeights } from "./routing";

export function localRouter(root: string, stackName: string): TrafficRouter {
  const stateDir = path.join(root, ".understudy", stackName);
  return {
    setShadowWeight: (service, percent) => localWeights(stateDir, service).setShadowWeight(percent),
    async beforeUp(spec: StackSpec, changes: Change[]): Promise<FastPath> {
      const done: string[] = [];
      const undo: (() => Promise<void>)[] = [];
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
        } else if (c.kind === "promote") {
          // Warm: the running shadow turns live now; the `up` then updates its resource in place.
          const p = await promoteInPlace(stateDir, spec, c.service, c.host);
          undo.push(p.undo);
          done.push(...p.done);
        }
      }
      return {
        done,
        undo: async () => {
          for (const u of undo.reverse()) await u();
        },
      };
    },
  };
}
