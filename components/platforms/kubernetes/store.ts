// A service's PostgreSQL store on kubernetes: one CloudNativePG Cluster per store host. The operator
// generates the app credentials into the Secret <cluster>-app, so no password passes through Pulumi.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Store, StoreArgs } from "../../platform";
import { STORE_QUERIES_CONFIGMAP } from "./metrics";
import { clusterDns, commonLabels, LABEL_CONSISTENCY, LABEL_HOST, LABEL_ROLE, storeClusterName } from "./names";
import { KubernetesSettings } from "./settings";

export const PG_PORT = 5432;

export interface StoreRecord {
  cluster: string;
  database: string;
  user: string;
  resource: k8s.apiextensions.CustomResource;
}

/**
 * Stores by their url Output. Pods must not see the URL itself (it lacks the password): the url
 * object only tells which cluster's generated Secret they mount.
 */
export class StoreRegistry {
  private readonly byUrl = new Map<pulumi.Output<string>, StoreRecord>();

  add(url: pulumi.Output<string>, r: StoreRecord): void {
    this.byUrl.set(url, r);
  }

  of(url: pulumi.Output<string>): StoreRecord {
    const r = this.byUrl.get(url);
    if (!r) throw new Error("kubernetes platform: a databaseUrl must come from this platform's store(); its credentials live in the store's Secret");
    return r;
  }
}

export function createStore(s: KubernetesSettings, args: StoreArgs, registry: StoreRegistry, parent: pulumi.Resource, after: pulumi.Resource[]): Store {
  const svc = args.service;
  const st = svc.store;
  if (!st) throw new Error(`service '${svc.name}' has no store`);
  const name = storeClusterName(svc, args.host);
  const role = args.host === st.host ? "primary" : "replica";
  const pin = s.pinHosts ? { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: s.topologyKey, operator: "In", values: [args.host] }] }] } } } : {};
  const labels = { ...commonLabels(svc), [LABEL_ROLE]: role, [LABEL_HOST]: args.host, [LABEL_CONSISTENCY]: svc.consistency };
  const cluster = new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Cluster",
      metadata: { name, namespace: s.namespace, labels },
      spec: {
        instances: 1,
        imageName: s.postgresImage,
        storage: { size: s.storageSize, storageClass: s.storageClass },
        bootstrap: { initdb: { database: st.database, owner: st.user } },
        affinity: { topologyKey: s.topologyKey, ...pin },
        // The operator copies these labels to the store's pods: its exporter's series are scraped with
        // service, store_role and host (metrics.ts), and carry understudy's replication queries.
        inheritedMetadata: { labels },
        monitoring: { enablePodMonitor: s.metrics === "podMonitor", customQueriesConfigMap: [{ name: STORE_QUERIES_CONFIGMAP, key: "queries" }] },
      },
    },
    { parent, dependsOn: after },
  );
  const address = clusterDns(s, `${name}-rw`);
  const url = pulumi.secret(`postgresql://${st.user}@${address}:${PG_PORT}/${st.database}`);
  registry.add(url, { cluster: name, database: st.database, user: st.user, resource: cluster });
  return { url, address: pulumi.output(address), port: PG_PORT, ready: [cluster] };
}
