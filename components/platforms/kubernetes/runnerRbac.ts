// What the runner's service account may do, and nothing more: the stack's `up` (create, update,
// delete every kind the kubernetes platform declares, in the stack's namespace only), what the
// provider reads while it waits for a rollout, what the runtime reads (pods; nodes, the one
// cluster-wide read: hosts are nodes), its own Lease, and get/patch of its own namespace (the stack
// declares it; the runner's deployment created it first). No Secrets: the stores' credentials stay
// with the operator and the pods; no Roles: the runner cannot widen its own rights.

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The kinds the kubernetes platform declares, by Pulumi type token: the API group and resource `up` writes. */
export const DECLARED_KINDS: Record<string, { group: string; resource: string }> = {
  "kubernetes:apps/v1:Deployment": { group: "apps", resource: "deployments" },
  "kubernetes:core/v1:Service": { group: "", resource: "services" },
  "kubernetes:core/v1:ConfigMap": { group: "", resource: "configmaps" },
  "kubernetes:batch/v1:Job": { group: "batch", resource: "jobs" },
  "kubernetes:policy/v1:PodDisruptionBudget": { group: "policy", resource: "poddisruptionbudgets" },
  "kubernetes:gateway.networking.k8s.io/v1:Gateway": { group: "gateway.networking.k8s.io", resource: "gateways" },
  "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": { group: "gateway.networking.k8s.io", resource: "httproutes" },
  "kubernetes:monitoring.coreos.com/v1:PodMonitor": { group: "monitoring.coreos.com", resource: "podmonitors" },
  "kubernetes:postgresql.cnpg.io/v1:Cluster": { group: "postgresql.cnpg.io", resource: "clusters" },
  // Server-side-apply patches of the Clusters (roles, external clusters, synchronous commit).
  "kubernetes:postgresql.cnpg.io/v1:ClusterPatch": { group: "postgresql.cnpg.io", resource: "clusters" },
  "kubernetes:postgresql.cnpg.io/v1:Publication": { group: "postgresql.cnpg.io", resource: "publications" },
  "kubernetes:postgresql.cnpg.io/v1:Subscription": { group: "postgresql.cnpg.io", resource: "subscriptions" },
};

/** The namespace itself: declared by the stack, cluster-scoped, so granted by name in the ClusterRole. */
export const NAMESPACE_KIND = "kubernetes:core/v1:Namespace";

const WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];

function grouped(kinds: { group: string; resource: string }[], verbs: string[]): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const k of kinds) byGroup.set(k.group, (byGroup.get(k.group) ?? new Set()).add(k.resource));
  return [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, resources]) => ({ apiGroups: [group], resources: [...resources].sort(), verbs }));
}

/** The Role in the stack's namespace. */
export function namespaceRules(leaseName: string): PolicyRule[] {
  return [
    ...grouped(Object.values(DECLARED_KINDS), WRITE),
    // Read while the provider waits for a Deployment or Job to roll out, and by the runtime's observer.
    ...grouped(
      [
        { group: "", resource: "pods" },
        { group: "", resource: "endpoints" },
        { group: "", resource: "events" },
        { group: "apps", resource: "replicasets" },
        { group: "discovery.k8s.io", resource: "endpointslices" },
        { group: "events.k8s.io", resource: "events" },
      ],
      READ,
    ),
    // Create cannot be limited by name (the name is not known before the object exists); the rest can.
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "update"], resourceNames: [leaseName] },
  ];
}

/** The ClusterRole: read nodes (hosts), and its own namespace by name. */
export function clusterRules(namespace: string): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["nodes"], verbs: READ },
    { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "patch"], resourceNames: [namespace] },
  ];
}
