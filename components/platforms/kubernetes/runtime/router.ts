// The kubernetes platform's TrafficRouter: the HTTPRoute's weights and mirror percent are Pulumi's
// to own, so they move through stack config + `up`. A canary step is the same write followed by an
// `up` of the HTTPRoute alone (`--target`), seconds instead of a whole-stack update. A direct patch
// of the route would make the runner a second field manager of `backendRefs`, and the next `up`
// would either fail on the conflict or silently take the field back.
import type { Stack } from "@pulumi/pulumi/automation";
import type { StackSpec } from "../../../config";
import { applyChangesToConfig } from "../../../../automation/decide";
import { preflight, writeConfig } from "../../../../automation/engine";
import type { FastPath, TrafficRouter } from "../../../../automation/platform/seams";

export const ROUTE_TYPE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

export async function routeUrn(stack: Stack, service: string): Promise<string> {
  const resources = ((await stack.exportStack()).deployment as { resources?: { urn: string; type: string }[] }).resources ?? [];
  const urn = resources.find((r) => r.type === ROUTE_TYPE && r.urn.endsWith(`::${service}-route`))?.urn;
  if (!urn) throw new Error(`the stack has no HTTPRoute for '${service}' (no shadows, or not up yet)`);
  return urn;
}

export function kubernetesRouter(stack: Stack, log?: (line: string) => void): TrafficRouter {
  return {
    beforeUp: async (_spec: StackSpec): Promise<FastPath> => ({ done: [], undo: async () => undefined }),
    async setShadowWeight(service: string, percent: number): Promise<void> {
      const spec = await preflight(stack);
      const svc = spec.services.find((s) => s.name === service);
      if (!svc) throw new Error(`the stack has no service '${service}'`);
      const from = svc.shadows.weightPercent;
      if (from === percent) return;
      const services = applyChangesToConfig(spec, [{ kind: "setWeights", service, rule: "rollout", priority: "rollout", from, to: percent, reason: "canary step" }]);
      await writeConfig(stack, { "understudy:services": services });
      await stack.up({ target: [await routeUrn(stack, service)], onOutput: (o) => log?.(o.trimEnd()) });
    },
  };
}
