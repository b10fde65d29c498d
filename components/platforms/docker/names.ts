// Names and labels of the docker platform's containers and networks. A config host is a network:
// containers on one host share it. Policies read the labels (service, role, host) of every container.
import { ServiceSpec } from "../../config";
import { Role } from "../../platform";
import { DockerSettings } from "./settings";

export const LABEL_SERVICE = "understudy.service";
export const LABEL_ROLE = "understudy.role";
export const LABEL_HOST = "understudy.host";
export const LABEL_INSTANCE = "understudy.instance";

/** Docker object names: letters, digits, '_', '.', '-'. */
const safe = (s: string): string => s.replace(/[^a-zA-Z0-9_.-]+/g, "-");

export interface DockerNames {
  prefix: string;
  hostNetwork(host: string): string;
  /** The network every container also joins: load balancers, stores, Prometheus reach across hosts. */
  backbone: string;
  instance(svc: ServiceSpec, role: Role, host: string): string;
  store(svc: ServiceSpec, host: string): string;
  loadBalancer(svc: ServiceSpec): string;
}

export function dockerNames(stack: string): DockerNames {
  const prefix = safe(`understudy-${stack}`);
  return {
    prefix,
    hostNetwork: (host) => `${prefix}-${safe(host)}`,
    backbone: `${prefix}-backbone`,
    instance: (svc, role, host) => `${prefix}-${svc.name}-${role}-${safe(host)}`,
    store: (svc, host) => `${prefix}-${svc.name}-store-${safe(host)}`,
    loadBalancer: (svc) => `${prefix}-${svc.name}-lb`,
  };
}

export const labels = (l: Record<string, string>): { label: string; value: string }[] => Object.entries(l).map(([label, value]) => ({ label, value }));

export const imageOf = (s: DockerSettings, svc: ServiceSpec): string => s.images[svc.name] ?? `understudy/${svc.name}:latest`;
