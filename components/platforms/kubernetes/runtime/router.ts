// The kubernetes platform's TrafficRouter: the HTTPRoute's weights and mirror percent are Pulumi's to
// own, so they move through stack config + an `up` of the HTTPRoute alone (configRouter).
import type { Stack } from "@pulumi/pulumi/automation";
import { configRouter } from "../../../../automation/platform/configRouter";
import type { TrafficRouter } from "../../../../automation/platform/seams";

const ROUTE_TYPE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

async function routeUrn(stack: Stack, service: string): Promise<string> {
  const resources = ((await stack.exportStack()).deployment as { resources?: { urn: string; type: string }[] }).resources ?? [];
  const urn = resources.find((r) => r.type === ROUTE_TYPE && r.urn.endsWith(`::${service}-route`))?.urn;
  if (!urn) throw new Error(`the stack has no HTTPRoute for '${service}' (no shadows, or not up yet)`);
  return urn;
}

export function kubernetesRouter(stack: Stack, log?: (line: string) => void): TrafficRouter {
  return configRouter(stack, { targets: async (s, service) => [await routeUrn(s, service)], log });
}
