// How Prometheus sees understudy's pods on kubernetes: one relabelling, used both by the PodMonitor
// (Prometheus Operator) and by the plain scrape job for `metrics: annotations`, so every instance
// series carries the labels the runtime's Observer queries — service, role, host (the config host)
// and instance (service-role-host) — the same labels as on the local platform, plus namespace, pod
// and node. Store pods (CloudNativePG) get service, store_role and host the same way.
import { LABEL_HOST, LABEL_INSTANCE, LABEL_ROLE, LABEL_SERVICE } from "./names";

/** A Prometheus relabel rule in its own (snake_case) spelling. */
export interface RelabelRule {
  source_labels?: string[];
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: "replace" | "keep" | "drop" | "labelmap";
}

const podLabel = (label: string): string => `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;

const copy = (from: string, to: string): RelabelRule => ({ source_labels: [from], target_label: to, action: "replace" });

/** Target labels every understudy pod gets, from its pod labels and its place in the cluster. */
export function instanceRelabelling(): RelabelRule[] {
  return [
    { source_labels: [podLabel(LABEL_SERVICE)], regex: ".+", action: "keep" },
    copy(podLabel(LABEL_SERVICE), "service"),
    copy(podLabel(LABEL_ROLE), "role"),
    copy(podLabel(LABEL_HOST), "host"),
    copy(podLabel(LABEL_INSTANCE), "instance"),
    copy("__meta_kubernetes_namespace", "namespace"),
    copy("__meta_kubernetes_pod_name", "pod"),
    copy("__meta_kubernetes_pod_node_name", "node"),
  ];
}

/** The same rules in the Prometheus Operator's camelCase (PodMonitor `relabelings`). */
export function operatorRelabelling(rules: RelabelRule[]): Record<string, unknown>[] {
  return rules.map((r) => ({
    ...(r.source_labels ? { sourceLabels: r.source_labels } : {}),
    ...(r.regex !== undefined ? { regex: r.regex } : {}),
    ...(r.target_label ? { targetLabel: r.target_label } : {}),
    ...(r.replacement !== undefined ? { replacement: r.replacement } : {}),
    ...(r.action ? { action: r.action } : {}),
  }));
}

/**
 * The scrape job for a Prometheus without the Operator (`metrics: annotations`): Kubernetes pod
 * discovery in the stack's namespace, pods annotated prometheus.io/scrape, scraped on the annotated
 * port and path. `apiServer`/`kubeconfig` only when Prometheus runs outside the cluster.
 */
export function annotationScrapeJob(namespace: string, outside?: { apiServer: string; kubeconfigFile: string }): Record<string, unknown> {
  const sd: Record<string, unknown> = { role: "pod", namespaces: { names: [namespace] } };
  if (outside) sd.kubeconfig_file = outside.kubeconfigFile;
  return {
    job_name: `understudy-${namespace}`,
    kubernetes_sd_configs: [sd],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], regex: "true", action: "keep" },
      ...instanceRelabelling(),
      { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"], regex: "(.+)", target_label: "__metrics_path__", action: "replace" },
      {
        source_labels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
        regex: "(.+);(\\d+)",
        replacement: "$1:$2",
        target_label: "__address__",
        action: "replace",
      },
    ],
  };
}

/** CloudNativePG's exporter port on every instance pod. */
export const CNPG_METRICS_PORT = 9187;

/** The scrape job for the stores' CloudNativePG exporters (their pods inherit our labels). */
export function storeScrapeJob(namespace: string, outside?: { apiServer: string; kubeconfigFile: string }): Record<string, unknown> {
  const sd: Record<string, unknown> = { role: "pod", namespaces: { names: [namespace] } };
  if (outside) sd.kubeconfig_file = outside.kubeconfigFile;
  return {
    job_name: `understudy-${namespace}-stores`,
    kubernetes_sd_configs: [sd],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_pod_label_cnpg_io_cluster"], regex: ".+", action: "keep" },
      { source_labels: [podLabel(LABEL_SERVICE)], regex: ".+", action: "keep" },
      copy(podLabel(LABEL_SERVICE), "service"),
      copy(podLabel(LABEL_ROLE), "store_role"),
      copy(podLabel(LABEL_HOST), "host"),
      copy("__meta_kubernetes_namespace", "namespace"),
      copy("__meta_kubernetes_pod_name", "pod"),
      { source_labels: ["__meta_kubernetes_pod_ip"], regex: "(.+)", replacement: `$1:${CNPG_METRICS_PORT}`, target_label: "__address__", action: "replace" },
    ],
  };
}

/**
 * Custom queries every store's exporter runs (CloudNativePG `monitoring.customQueriesConfigMap`):
 * on a primary, each subscriber's lag as its walsender sees it; on a shadow's store, what its
 * subscription received and has not yet applied. Metric names: cnpg_<query>_<column>.
 */
export const STORE_QUERIES = `understudy_replication:
  query: "SELECT application_name, COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0) AS lag_bytes, COALESCE(EXTRACT(EPOCH FROM replay_lag), 0) AS lag_seconds, CASE WHEN sync_state IN ('sync', 'quorum') THEN 1 ELSE 0 END AS synchronous FROM pg_stat_replication"
  metrics:
    - application_name: {usage: "LABEL", description: "The subscription (walsender application name)"}
    - lag_bytes: {usage: "GAUGE", description: "WAL bytes the subscriber has not confirmed"}
    - lag_seconds: {usage: "GAUGE", description: "Replay lag in seconds (0 when caught up and idle)"}
    - synchronous: {usage: "GAUGE", description: "1 when the subscriber counts for synchronous commit"}
understudy_subscription:
  query: "SELECT subname, COALESCE(pg_wal_lsn_diff(received_lsn, latest_end_lsn), 0) AS pending_bytes, COALESCE(pg_wal_lsn_diff(received_lsn, '0/0'), 0) AS received_bytes FROM pg_stat_subscription WHERE relid IS NULL"
  metrics:
    - subname: {usage: "LABEL", description: "The subscription"}
    - pending_bytes: {usage: "GAUGE", description: "Received but not yet applied"}
    - received_bytes: {usage: "GAUGE", description: "Position received from the publisher, as a byte offset"}
understudy_wal:
  query: "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS position_bytes"
  metrics:
    - position_bytes: {usage: "GAUGE", description: "Current WAL position, as a byte offset"}
`;

export const STORE_QUERIES_CONFIGMAP = "understudy-store-queries";
