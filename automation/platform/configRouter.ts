// A TrafficRouter for platforms whose weights belong to Pulumi (an HTTPRoute, an ALB listener rule):
// the weight is written to stack config and applied by `up`, targeted at the resources that carry it
// when the platform names them — seconds instead of a whole-stack update. No fast path before an
// `up`: writing the same field outside Pulumi would make the runner a second owner of it, and the
// next `up` would fail on the conflict or silently take the field back.
import type { Stack } from "@pulumi/pulumi/automation";
import { applyChangesToConfig } from "../decide";
import { preflight, writeConfig } from "../engine";
import type { FastPath, TrafficRouter } from "./seams";

export interface ConfigRouterOptions {
  /** URNs an `up` of one service's weights needs; undefined: the whole stack. */
  targets?: (stack: Stack, service: string) => Promise<string[]>;
  log?: (line: string) => void;
}

export function configRouter(stack: Stack, o: ConfigRouterOptions = {}): TrafficRouter {
  return {
    beforeUp: async (): Promise<FastPath> => ({ done: [], undo: async () => undefined }),
    async setShadowWeight(service: string, percent: number): Promise<void> {
      const spec = await preflight(stack);
      const svc = spec.services.find((s) => s.name === service);
      if (!svc) throw new Error(`the stack has no service '${service}'`);
      const from = svc.shadows.weightPercent;
      if (from === percent) return;
      const services = applyChangesToConfig(spec, [{ kind: "setWeights", service, rule: "rollout", priority: "rollout", from, to: percent, reason: "canary step" }]);
      await writeConfig(stack, { "understudy:services": services });
      const target = o.targets ? await o.targets(stack, service) : undefined;
      await stack.up({ target, onOutput: (line) => o.log?.(line.trimEnd()) });
    },
  };
}
