// The kubernetes platform's own settings: one optional stack config key, `understudy:kubernetes`,
// validated like the rest of the stack config (the error names the key and the rule).
import { ConfigError, NAMESPACE, objectAt as object } from "../../config";
import { parseRunnerSettings, RunnerSettings } from "./runnerSettings";

export type MetricsMode = "podMonitor" | "annotations";

export interface GatewaySettings {
  /** GatewayClass of the cluster's Gateway API implementation (Envoy Gateway, Istio, Cilium...). */
  className: string;
  /** Each service is served as <service>.<domain>. */
  domain: string;
  /** An internet-facing Gateway; public ones need tlsSecretName (policy no-public-plaintext). */
  public: boolean;
  /** kubernetes.io/tls Secret in the namespace; when set the Gateway listens on HTTPS only. */
  tlsSecretName?: string;
}

export interface KubernetesSettings {
  namespace: string;
  /** Node label that defines "the same host": kubernetes.io/hostname (node) or topology.kubernetes.io/zone. */
  topologyKey: string;
  /** Pin each pool to nodes whose topologyKey label is one of its config hosts (hosts are node or zone names). */
  pinHosts: boolean;
  /** Container image per service; default understudy/<service>:latest. */
  images: Record<string, string>;
  gateway: GatewaySettings;
  metrics: MetricsMode;
  prometheusUrl: string;
  storageSize: string;
  storageClass?: string;
  /** CloudNativePG operand image; empty = the operator's default. */
  postgresImage?: string;
  /** The automation runner in the cluster (deploy/runner); undefined: none. */
  runner?: RunnerSettings;
}

const KEY = `${NAMESPACE}:kubernetes`;
const KEYS = ["namespace", "topologyKey", "pinHosts", "images", "gateway", "metrics", "prometheusUrl", "storageSize", "storageClass", "postgresImage", "runner"];
const GATEWAY_KEYS = ["className", "domain", "public", "tlsSecretName"];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;



function text(key: string, v: unknown, dflt?: string): string {
  const raw = v ?? dflt;
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(key, "must be a non-empty string");
  return raw;
}

function optionalText(key: string, v: unknown): string | undefined {
  return v === undefined ? undefined : text(key, v);
}

function flag(key: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw new ConfigError(key, `must be true or false, got ${JSON.stringify(v)}`);
}

export function parseKubernetesSettings(raw: Record<string, unknown>): KubernetesSettings {
  const o = object(KEY, raw[KEY]);
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new ConfigError(`${KEY}.${k}`, `unknown key; allowed keys are ${KEYS.join(", ")}`);
  const namespace = text(`${KEY}.namespace`, o.namespace, "understudy");
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(`${KEY}.namespace`, "must be a DNS label (lower-case letters, digits and '-')");
  const images = object(`${KEY}.images`, o.images);
  const g = object(`${KEY}.gateway`, o.gateway, GATEWAY_KEYS);
  const metrics = text(`${KEY}.metrics`, o.metrics, "podMonitor");
  if (metrics !== "podMonitor" && metrics !== "annotations") throw new ConfigError(`${KEY}.metrics`, "must be podMonitor (Prometheus Operator) or annotations (prometheus.io/scrape)");
  return {
    namespace,
    topologyKey: text(`${KEY}.topologyKey`, o.topologyKey, "kubernetes.io/hostname"),
    pinHosts: flag(`${KEY}.pinHosts`, o.pinHosts, false),
    images: Object.fromEntries(Object.entries(images).map(([svc, img]) => [svc, text(`${KEY}.images.${svc}`, img)])),
    gateway: {
      className: text(`${KEY}.gateway.className`, g.className, "envoy-gateway"),
      domain: text(`${KEY}.gateway.domain`, g.domain, "understudy.internal"),
      public: flag(`${KEY}.gateway.public`, g.public, false),
      tlsSecretName: optionalText(`${KEY}.gateway.tlsSecretName`, g.tlsSecretName),
    },
    metrics,
    prometheusUrl: text(`${KEY}.prometheusUrl`, o.prometheusUrl, "http://prometheus-operated.monitoring.svc:9090"),
    storageSize: text(`${KEY}.storageSize`, o.storageSize, "10Gi"),
    storageClass: optionalText(`${KEY}.storageClass`, o.storageClass),
    postgresImage: optionalText(`${KEY}.postgresImage`, o.postgresImage),
    runner: parseRunnerSettings(o),
  };
}
