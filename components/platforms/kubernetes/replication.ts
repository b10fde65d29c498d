// CDC from a service's live store to each shadow's store on kubernetes, with CloudNativePG's
// declarative logical replication: the managed schema applied to every store by a Job, a Publication
// of its tables on the primary, a Subscription per replica, and — in sync mode, last — synchronous
// commit on the primary. Roles, external clusters and synchronous commit are server-side-apply
// patches of the Clusters, so store() is the same for every host and replication lives here.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ReplicationArgs, ReplicationHandle } from "../../platform";
import { clusterDns, commonLabels, dnsName, pgIdent as ident, subscriptionName } from "./names";
import { KubernetesSettings } from "./settings";
import { StoreRecord, StoreRegistry } from "./store";

const CNPG = "postgresql.cnpg.io/v1";

function tableRef(t: string): { table: { schema: string; name: string } } {
  const [schema, name] = t.includes(".") ? t.split(".", 2) : ["public", t];
  return { table: { schema, name } };
}

/** A Job that applies the managed schema (idempotent DDL) to one store, as its app owner. */
function schemaJob(s: KubernetesSettings, args: ReplicationArgs, host: string, store: StoreRecord, configMap: k8s.core.v1.ConfigMap, parent: pulumi.Resource): k8s.batch.v1.Job {
  const name = dnsName(args.service.name, "schema", host);
  return new k8s.batch.v1.Job(
    name,
    {
      metadata: { name, namespace: s.namespace, labels: commonLabels(args.service) },
      spec: {
        backoffLimit: 10,
        template: {
          spec: {
            restartPolicy: "OnFailure",
            containers: [
              {
                name: "psql",
                image: s.postgresImage ?? "ghcr.io/cloudnative-pg/postgresql:16",
                command: ["sh", "-c", 'exec psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f /schema/schema.sql'],
                env: [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: `${store.cluster}-app`, key: "uri" } } }],
                volumeMounts: [{ name: "schema", mountPath: "/schema" }],
              },
            ],
            volumes: [{ name: "schema", configMap: { name: configMap.metadata.name } }],
          },
        },
      },
    },
    { parent, dependsOn: [store.resource, configMap] },
  );
}

export function createReplication(s: KubernetesSettings, args: ReplicationArgs, registry: StoreRegistry, parent: pulumi.Resource): ReplicationHandle {
  const svc = args.service;
  const primary = registry.of(args.primary.url);
  const publication = ident(svc.name, "pub");
  const subscriptions = args.replicas.map((r) => ({ host: r.host, store: registry.of(r.store.url), name: subscriptionName(svc.name, r.host) }));
  const meta = (name: string) => ({ name, namespace: s.namespace, labels: commonLabels(svc) });
  const configMap = new k8s.core.v1.ConfigMap(`${svc.name}-schema`, { metadata: meta(dnsName(svc.name, "schema")), data: { "schema.sql": args.schema.sql } }, { parent });
  const primarySchema = schemaJob(s, args, args.primaryHost, primary, configMap, parent);
  // Subscribers connect as the app owner, which needs REPLICATION to stream.
  const publisher = new k8s.apiextensions.CustomResourcePatch(
    `${primary.cluster}-publisher`,
    {
      apiVersion: CNPG,
      kind: "Cluster",
      metadata: { name: primary.cluster, namespace: s.namespace },
      spec: { managed: { roles: [{ name: primary.user, ensure: "present", login: true, replication: true }] } },
    },
    { parent, dependsOn: [primary.resource] },
  );
  const pub = new k8s.apiextensions.CustomResource(
    `${svc.name}-publication`,
    {
      apiVersion: CNPG,
      kind: "Publication",
      metadata: meta(`${primary.cluster}-pub`),
      spec: { cluster: { name: primary.cluster }, dbname: primary.database, name: publication, target: { objects: args.schema.tables.map(tableRef) } },
    },
    { parent, dependsOn: [publisher, primarySchema] },
  );
  const subs = subscriptions.map((sub) => {
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
      { parent, dependsOn: [sub.store.resource] },
    );
    return new k8s.apiextensions.CustomResource(
      `${svc.name}-subscription-${sub.host}`,
      {
        apiVersion: CNPG,
        kind: "Subscription",
        metadata: meta(`${sub.store.cluster}-sub`),
        // delete: removing this object (promotion, a shadow leaving) drops the subscription in PostgreSQL
        // too, so a promoted store stops applying the old primary's changes.
        spec: { cluster: { name: sub.store.cluster }, dbname: sub.store.database, name: sub.name, publicationName: publication, externalClusterName: "primary", subscriptionReclaimPolicy: "delete" },
      },
      { parent, dependsOn: [pub, source, schemaJob(s, args, sub.host, sub.store, configMap, parent)] },
    );
  });
  if (svc.replication.mode !== "sync" || subs.length === 0) return { ready: [pub, ...subs] };
  // Set last: a primary waiting for subscribers that do not stream yet would block every commit.
  // ANY 1 over the subscriptions' application names: each commit waits for one shadow's store.
  const synchronous = new k8s.apiextensions.CustomResourcePatch(
    `${primary.cluster}-synchronous`,
    {
      apiVersion: CNPG,
      kind: "Cluster",
      metadata: { name: primary.cluster, namespace: s.namespace },
      spec: { postgresql: { synchronous: { method: "any", number: 1, dataDurability: "required", standbyNamesPost: subscriptions.map((x) => x.name) } } },
    },
    { parent, dependsOn: subs },
  );
  return { ready: [synchronous] };
}
