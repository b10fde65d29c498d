// Names and labels shared by the kubernetes platform's resources. Policies read the labels, so the
// role and service of every pod, Service and store are visible in the resource arguments.
import { ServiceSpec } from "../../config";
import { Role } from "../../platform";
import { KubernetesSettings } from "./settings";

export const LABEL_SERVICE = "understudy.io/service";
export const LABEL_ROLE = "understudy.io/role";
/** Tells a pool's per-host Deployments apart (their selectors must not overlap). */
export const LABEL_DEPLOYMENT = "understudy.io/deployment";
export const LABEL_CONSISTENCY = "understudy.io/consistency";
export const LABEL_EXPOSURE = "understudy.io/exposure";
/** The config host (a slot: node or zone name) a pod stands for; the runtime's `host`. */
export const LABEL_HOST = "understudy.io/host";
/** The instance's stable name (service-role-host), whatever the pod is called this time. */
export const LABEL_INSTANCE = "understudy.io/instance";

/** Config host names are free text; Kubernetes object names are DNS labels. */
export function dnsName(...parts: string[]): string {
  return parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
}

export const poolName = (svc: ServiceSpec, role: Role): string => dnsName(svc.name, role);
/** One Deployment per instance, named like the local platform's instances (orders-live-node-1). */
export const instanceName = (svc: ServiceSpec, role: Role, host: string): string => dnsName(svc.name, role, host);
export const storeClusterName = (svc: ServiceSpec, host: string): string => dnsName(svc.name, "store", host);
/** The Service in front of a pool; the HTTPRoute's backendRefs name it. */
export const poolServiceName = poolName;

export function poolSelector(svc: ServiceSpec, role: Role): Record<string, string> {
  return { [LABEL_SERVICE]: svc.name, [LABEL_ROLE]: role };
}

export function commonLabels(svc: ServiceSpec): Record<string, string> {
  return { "app.kubernetes.io/name": svc.name, "app.kubernetes.io/part-of": "understudy", [LABEL_SERVICE]: svc.name };
}

export const imageOf = (s: KubernetesSettings, svc: ServiceSpec): string => s.images[svc.name] ?? `understudy/${svc.name}:latest`;

export const clusterDns = (s: KubernetesSettings, name: string): string => `${name}.${s.namespace}.svc.cluster.local`;

/** PostgreSQL identifiers: subscription names double as the walsender's application_name. */
export const pgIdent = (...parts: string[]): string => parts.join("_").toLowerCase().replace(/[^a-z0-9_]+/g, "_");

/** A shadow store's subscription: the runtime maps lag series back to the shadow by this name. */
export const subscriptionName = (service: string, host: string): string => pgIdent(service, "sub", host);
