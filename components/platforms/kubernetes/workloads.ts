// A pool (live or shadow) of one service on kubernetes: a Deployment whose pods refuse to share a
// node (or zone) with the other role's pods, a Service, a PodDisruptionBudget and a PodMonitor.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint, InstanceGroup, InstanceGroupArgs, Role } from "../../platform";
import { clusterDns, commonLabels, dnsName, imageOf, LABEL_DEPLOYMENT, LABEL_ROLE, poolName, poolSelector } from "./names";
import { KubernetesSettings } from "./settings";

export interface PoolDeps {
  /** CloudNativePG's generated app Secret of the store behind a databaseUrl (its `uri` key). */
  appSecretOf(databaseUrl: pulumi.Output<string>): string;
  after: pulumi.Resource[];
}

const other = (role: Role): Role => (role === "live" ? "shadow" : "live");

function affinity(s: KubernetesSettings, args: InstanceGroupArgs): k8s.types.input.core.v1.Affinity {
  const svc = args.service;
  return {
    // Required and symmetric: the scheduler also keeps the other role's pods off this pool's domains.
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: poolSelector(svc, other(args.role)) }, topologyKey: s.topologyKey }],
    },
    nodeAffinity: s.pinHosts
      ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: s.topologyKey, operator: "In", values: args.hosts }] }] } }
      : undefined,
  };
}

function env(args: InstanceGroupArgs, databaseUrl: pulumi.Output<string> | undefined, deps: PoolDeps): k8s.types.input.core.v1.EnvVar[] {
  const svc = args.service;
  const plain = { ...svc.env, ...(args.role === "shadow" ? svc.shadows.env : {}), HOST: "0.0.0.0", PORT: String(svc.port), UNDERSTUDY_ROLE: args.role, UNDERSTUDY_SERVICE: svc.name, CPU_COST_MS: String(svc.cpuCostMs) };
  return [
    ...Object.entries(plain).map(([name, value]) => ({ name, value })),
    { name: "UNDERSTUDY_INSTANCE", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "UNDERSTUDY_HOST", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    // The credentials stay in the cluster: the pod reads the operator-generated Secret.
    ...(databaseUrl ? [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: deps.appSecretOf(databaseUrl), key: "uri" } } }] : []),
  ];
}

/**
 * Deployments of a pool: one for the whole pool, or one per host when each host reads its own store
 * (a shadow and its replica). Every pod carries the pool's labels, so the Service, the budget and
 * the anti-affinity see the pool as one.
 */
function deployments(args: InstanceGroupArgs): { name: string; replicas: number; databaseUrl?: pulumi.Output<string>; hosts: string[] }[] {
  const name = poolName(args.service, args.role);
  const perHost = args.databaseUrls;
  if (!perHost) return [{ name, replicas: args.hosts.length, databaseUrl: args.databaseUrl, hosts: args.hosts }];
  return args.hosts.map((h) => ({ name: dnsName(name, h), replicas: 1, databaseUrl: perHost[h] ?? args.databaseUrl, hosts: [h] }));
}

export function createPool(s: KubernetesSettings, args: InstanceGroupArgs, deps: PoolDeps, parent: pulumi.Resource): InstanceGroup {
  const svc = args.service;
  // An empty pool (no shadows configured) declares nothing: the route then has no shadow backend.
  if (args.hosts.length === 0) return { endpoints: [] };
  const name = poolName(svc, args.role);
  const selector = poolSelector(svc, args.role);
  const labels = { ...commonLabels(svc), ...selector };
  const probe = (failureThreshold: number): k8s.types.input.core.v1.Probe => ({ httpGet: { path: svc.healthPath, port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold });
  const scrape = s.metrics === "annotations" ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(svc.port), "prometheus.io/path": "/metrics" } : undefined;
  const meta = { name, namespace: s.namespace, labels };
  const opts = { parent, dependsOn: deps.after.concat(args.after) };
  for (const d of deployments(args)) {
    new k8s.apps.v1.Deployment(
      d.name,
      {
        metadata: { ...meta, name: d.name },
        spec: {
          replicas: d.replicas,
          selector: { matchLabels: { ...selector, [LABEL_DEPLOYMENT]: d.name } },
          template: {
            metadata: { labels: { ...labels, [LABEL_DEPLOYMENT]: d.name }, annotations: scrape },
            spec: {
              affinity: affinity(s, { ...args, hosts: d.hosts }),
              // One pod of the pool per node (or zone) while there are enough of them, as placeService does.
              topologySpreadConstraints: [{ maxSkew: 1, topologyKey: s.topologyKey, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: selector } }],
              containers: [
                {
                  name: svc.name,
                  image: imageOf(s, svc),
                  args: svc.command.trim().split(/\s+/),
                  ports: [{ name: "http", containerPort: svc.port }],
                  env: env(args, d.databaseUrl, deps),
                  readinessProbe: probe(2),
                  livenessProbe: probe(6),
                },
              ],
            },
          },
        },
      },
      opts,
    );
  }
  const service = new k8s.core.v1.Service(name, { metadata: meta, spec: { selector, ports: [{ name: "http", port: svc.port, targetPort: "http" }] } }, opts);
  new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, opts);
  if (s.metrics === "podMonitor") {
    new k8s.apiextensions.CustomResource(
      `${name}-metrics`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: meta,
        spec: { selector: { matchLabels: selector }, podTargetLabels: [LABEL_ROLE, "app.kubernetes.io/name"], podMetricsEndpoints: [{ port: "http", path: "/metrics" }] },
      },
      opts,
    );
  }
  const address = service.metadata.name.apply((n) => clusterDns(s, n));
  const endpoints: Endpoint[] = args.hosts.map((host) => ({ instance: `${name}-${host}`, role: args.role, host, address, port: svc.port }));
  return { endpoints };
}
