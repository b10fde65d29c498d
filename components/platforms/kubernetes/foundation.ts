// Per-stack pieces on kubernetes: the namespace and the Gateway every service's HTTPRoute attaches to.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { STORE_QUERIES, STORE_QUERIES_CONFIGMAP } from "./metrics";
import { LABEL_EXPOSURE } from "./names";
import { KubernetesSettings } from "./settings";

export const GATEWAY_NAME = "understudy";

export interface KubernetesFoundation {
  namespace: k8s.core.v1.Namespace;
  gateway: k8s.apiextensions.CustomResource;
}

export function createFoundation(s: KubernetesSettings, parent: pulumi.Resource): KubernetesFoundation {
  const namespace = new k8s.core.v1.Namespace(s.namespace, { metadata: { name: s.namespace, labels: { "app.kubernetes.io/part-of": "understudy" } } }, { parent });
  const g = s.gateway;
  // With a certificate the Gateway speaks HTTPS only: a plaintext listener beside it would leak.
  const listener = g.tlsSecretName
    ? { name: "https", protocol: "HTTPS", port: 443, hostname: `*.${g.domain}`, tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: g.tlsSecretName }] } }
    : { name: "http", protocol: "HTTP", port: 80, hostname: `*.${g.domain}` };
  const gateway = new k8s.apiextensions.CustomResource(
    "gateway",
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: GATEWAY_NAME, namespace: s.namespace, labels: { [LABEL_EXPOSURE]: g.public ? "public" : "internal" } },
      spec: { gatewayClassName: g.className, listeners: [{ ...listener, allowedRoutes: { namespaces: { from: "Same" } } }] },
    },
    { parent, dependsOn: [namespace] },
  );
  // The replication lag queries every store's exporter runs (read by the runtime's Observer).
  new k8s.core.v1.ConfigMap(
    STORE_QUERIES_CONFIGMAP,
    { metadata: { name: STORE_QUERIES_CONFIGMAP, namespace: s.namespace, labels: { "app.kubernetes.io/part-of": "understudy", "cnpg.io/reload": "" } }, data: { queries: STORE_QUERIES } },
    { parent, dependsOn: [namespace] },
  );
  return { namespace, gateway };
}

export const gatewayScheme = (s: KubernetesSettings): string => (s.gateway.tlsSecretName ? "https" : "http");
