// A pool (live or shadow) of one service on kubernetes: one Deployment per instance (per config host)
// whose pods refuse to share a node (or zone) with the other role's pods, a Service, a
// PodDisruptionBudget and a PodMonitor. Each pod is labelled with its config host and instance name,
// so the runtime observes, promotes and drains the instances the stack config names.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint, InstanceGroup, InstanceGroupArgs, Role } from "../../platform";
import { instanceRelabelling, operatorRelabelling } from "./metrics";
import { clusterDns, commonLabels, imageOf, instanceName, LABEL_DEPLOYMENT, LABEL_HOST, LABEL_INSTANCE, poolName, poolSelector } from "./names";
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

function env(args: InstanceGroupArgs, host: string, databaseUrl: pulumi.Output<string> | undefined, deps: PoolDeps): k8s.types.input.core.v1.EnvVar[] {
  const svc = args.service;
  // The instance and host the service reports are the config's (what the runtime acts on), not the
  // pod's or node's names, which change with every reschedule.
  const plain = {
    ...svc.env,
    ...(args.role === "shadow" ? svc.shadows.env : {}),
    HOST: "0.0.0.0",
    PORT: String(svc.port),
    UNDERSTUDY_ROLE: args.role,
    UNDERSTUDY_SERVICE: svc.name,
    UNDERSTUDY_INSTANCE: instanceName(svc, args.role, host),
    UNDERSTUDY_HOST: host,
    CPU_COST_MS: String(svc.cpuCostMs),
  };
  return [
    ...Object.entries(plain).map(([name, value]) => ({ name, value })),
    // The credentials stay in the cluster: the pod reads the operator-generated Secret.
    ...(databaseUrl ? [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: deps.appSecretOf(databaseUrl), key: "uri" } } }] : []),
  ];
}


export function createPool(s: KubernetesSettings, args: InstanceGroupArgs, deps: PoolDeps, parent: pulumi.Resource): InstanceGroup {
  const svc = args.service;
  // An empty pool (no shadows configured) declares nothing: the route then has no shadow backend.
  if (args.hosts.length === 0) return { endpoints: [] };
  const selector = poolSelector(svc, args.role);
  const labels = { ...commonLabels(svc), ...selector };
  const probe = (failureThreshold: number): k8s.types.input.core.v1.Probe => ({ httpGet: { path: svc.healthPath, port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold });
  const scrape = s.metrics === "annotations" ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(svc.port), "prometheus.io/path": "/metrics" } : undefined;
  const meta = { name: poolName(svc, args.role), namespace: s.namespace, labels };
  const opts = { parent, dependsOn: deps.after.concat(args.after) };
  // One Deployment of one pod per config host: the instance keeps its name and host through restarts,
  // and a shadow reads its own replica store.
  for (const host of args.hosts) {
    const name = instanceName(svc, args.role, host);
    const podLabels = { ...labels, [LABEL_DEPLOYMENT]: name, [LABEL_HOST]: host, [LABEL_INSTANCE]: name };
    new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { ...meta, name, labels: { ...labels, [LABEL_HOST]: host } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { ...selector, [LABEL_DEPLOYMENT]: name } },
          // Surge first (the old pod serves until the new one is ready). The surge pod needs a node
          // without the other role, which exists whenever the pool does: the pool's own nodes.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            metadata: { labels: podLabels, annotations: scrape },
            spec: {
              affinity: affinity(s, { ...args, hosts: [host] }),
              // Spread the pool over nodes (or zones) as placeService does, but as a preference: a hard
              // spread counts the other role's nodes as empty domains, so with nodes = hosts the surge
              // pod of any rollout had nowhere to go and `up` hung. The hard rule is the anti-affinity.
              topologySpreadConstraints: [{ maxSkew: 1, topologyKey: s.topologyKey, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }],
              containers: [
                {
                  name: svc.name,
                  image: imageOf(s, svc),
                  args: svc.command.trim().split(/\s+/),
                  ports: [{ name: "http", containerPort: svc.port }],
                  env: env(args, host, args.databaseUrls?.[host] ?? args.databaseUrl, deps),
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
  const service = new k8s.core.v1.Service(meta.name, { metadata: meta, spec: { selector, ports: [{ name: "http", port: svc.port, targetPort: "http" }] } }, opts);
  new k8s.policy.v1.PodDisruptionBudget(meta.name, { metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, opts);
  if (s.metrics === "podMonitor") {
    new k8s.apiextensions.CustomResource(
      `${meta.name}-metrics`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: meta,
        spec: { selector: { matchLabels: selector }, podMetricsEndpoints: [{ port: "http", path: "/metrics", relabelings: operatorRelabelling(instanceRelabelling()) }] },
      },
      opts,
    );
  }
  const address = service.metadata.name.apply((n) => clusterDns(s, n));
  const endpoints: Endpoint[] = args.hosts.map((host) => ({ instance: instanceName(svc, args.role, host), role: args.role, host, address, port: svc.port }));
  return { endpoints };
}
