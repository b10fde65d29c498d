// A service's routing on kubernetes: a Gateway API HTTPRoute with weighted backendRefs (live and
// shadow Services) and a RequestMirror filter that copies a percent of requests to the shadows.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancerArgs, LoadBalancerHandle } from "../../platform";
import { GATEWAY_NAME, gatewayScheme } from "./foundation";
import { commonLabels, poolServiceName } from "./names";
import { KubernetesSettings } from "./settings";

export function createRoute(s: KubernetesSettings, args: LoadBalancerArgs, prometheusUrl: string, parent: pulumi.Resource, after: pulumi.Resource[]): LoadBalancerHandle {
  const svc = args.service;
  const hasShadows = args.shadows.length > 0;
  const shadowWeight = hasShadows ? svc.shadows.weightPercent : 0;
  const ref = (role: "live" | "shadow") => ({ kind: "Service", name: poolServiceName(svc, role), port: svc.port });
  const backendRefs = [{ ...ref("live"), weight: 100 - shadowWeight }, ...(hasShadows ? [{ ...ref("shadow"), weight: shadowWeight }] : [])];
  // percent needs Gateway API v1.2+; the mirrored copy's response is discarded by the gateway.
  const filters = hasShadows && svc.shadows.mirrorPercent > 0 ? [{ type: "RequestMirror", requestMirror: { backendRef: ref("shadow"), percent: svc.shadows.mirrorPercent } }] : [];
  const hostname = `${svc.name}.${s.gateway.domain}`;
  new k8s.apiextensions.CustomResource(
    `${svc.name}-route`,
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: svc.name, namespace: s.namespace, labels: commonLabels(svc) },
      spec: {
        parentRefs: [{ name: GATEWAY_NAME }],
        hostnames: [hostname],
        rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs, filters }],
      },
    },
    { parent, dependsOn: after },
  );
  return { url: pulumi.output(`${gatewayScheme(s)}://${hostname}`), metricsUrl: pulumi.output(prometheusUrl) };
}
