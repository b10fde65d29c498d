// CDC from a service's live store to each shadow's store on kubernetes, with CloudNativePG's
// declarative logical replication: a Publication on the primary, a Subscription per replica.
// Roles, external clusters and synchronous commit are server-side-apply patches of the Clusters, so
// store() stays the same for every host and replication is wired in one place.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ReplicationArgs, ReplicationHandle } from "../../platform";
import { clusterDns, commonLabels } from "./names";
import { KubernetesSettings } from "./settings";
import { StoreRegistry } from "./store";

const CNPG = "postgresql.cnpg.io/v1";
/** PostgreSQL identifiers: subscription names double as the walsender's application_name. */
const ident = (...parts: string[]): string => parts.join("_").toLowerCase().replace(/[^a-z0-9_]+/g, "_");

export function createReplication(s: KubernetesSettings, args: ReplicationArgs, registry: StoreRegistry, parent: pulumi.Resource): ReplicationHandle {
  const svc = args.service;
  const primary = registry.of(args.primary.url);
  const publication = ident(svc.name, "pub");
  const subscriptions = args.replicas.map((r) => ({ host: r.host, store: registry.of(r.store.url), name: ident(svc.name, "sub", r.host) }));
  const meta = (name: string) => ({ name, namespace: s.namespace, labels: commonLabels(svc) });
  // Sync: every commit waits until one subscriber has it (ANY 1 over the subscriptions' names).
  const synchronous =
    args.service.replication.mode === "sync" && subscriptions.length > 0
      ? { method: "any", number: 1, dataDurability: "required", standbyNamesPost: subscriptions.map((x) => x.name) }
      : undefined;
  const primaryPatch = new k8s.apiextensions.CustomResourcePatch(
    `${primary.cluster}-publisher`,
    {
      apiVersion: CNPG,
      kind: "Cluster",
      metadata: { name: primary.cluster, namespace: s.namespace },
      spec: {
        // Subscribers connect as the app owner, which needs REPLICATION to stream.
        managed: { roles: [{ name: primary.user, ensure: "present", login: true, replication: true }] },
        postgresql: synchronous ? { synchronous } : undefined,
      },
    },
    { parent, dependsOn: args.primary.ready },
  );
  const pub = new k8s.apiextensions.CustomResource(
    `${svc.name}-publication`,
    {
      apiVersion: CNPG,
      kind: "Publication",
      metadata: meta(`${primary.cluster}-pub`),
      spec: { cluster: { name: primary.cluster }, dbname: primary.database, name: publication, target: { allTables: true } },
    },
    { parent, dependsOn: [primaryPatch] },
  );
  const ready: pulumi.Resource[] = [pub];
  for (const sub of subscriptions) {
    const source = new k8s.apiextensions.CustomResourcePatch(
      `${sub.store.cluster}-source`,
      {
        apiVersion: CNPG,
        kind: "Cluster",
        metadata: { name: sub.store.cluster, namespace: s.namespace },
        spec: {
          externalClusters: [
            {
              name: "primary",
              connectionParameters: { host: clusterDns(s, `${primary.cluster}-rw`), user: primary.user, dbname: primary.database, sslmode: "require" },
              password: { name: `${primary.cluster}-app`, key: "password" },
            },
          ],
        },
      },
      { parent, dependsOn: sub.store.resource },
    );
    ready.push(
      new k8s.apiextensions.CustomResource(
        `${svc.name}-subscription-${sub.host}`,
        {
          apiVersion: CNPG,
          kind: "Subscription",
          metadata: meta(`${sub.store.cluster}-sub`),
          spec: { cluster: { name: sub.store.cluster }, dbname: sub.store.database, name: sub.name, publicationName: publication, externalClusterName: "primary" },
        },
        { parent, dependsOn: [pub, source] },
      ),
    );
  }
  return { ready };
}
