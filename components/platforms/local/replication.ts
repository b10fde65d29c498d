// Replication streams on the local platform: the managed schema on every store, then the driver's
// resources (logical: publication, subscriptions, synchronous standbys; stream: a RabbitMQ stream
// between a change publisher and one consumer per shadow), and a lag exporter Prometheus scrapes.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ReplicationArgs, ReplicationHandle, Store } from "../../platform";
import { LocalContext, logDir, supervisorHome, targetsDir } from "./context";
import { createChangeStream } from "./replicationChangeStream";
import { declarePublication } from "./replicationPublication";
import { publicationName, subscriptionName } from "../../postgres/sql";
import { ReplicationTopology } from "../../postgres/topology";
import { LocalResource } from "./provider";

export function exporterName(service: string): string {
  return `${service}-replication-exporter`;
}

function schemaOn(args: ReplicationArgs, host: string, store: Store, parent: pulumi.Resource): LocalResource {
  return new LocalResource(
    "replicationSchema",
    `${args.service.name}-schema-${host}`,
    { url: store.url, sql: args.schema.sql, tables: args.schema.tables },
    { parent, dependsOn: store.ready },
    ["url"],
  );
}

function logical(c: LocalContext, args: ReplicationArgs, schemas: Map<string, LocalResource>, parent: pulumi.Resource): LocalResource[] {
  const svc = args.service;
  const publication = publicationName(svc.name);
  const pub = declarePublication(args, schemas.get(args.primaryHost) as LocalResource, parent);
  const subs = args.replicas.map(
    (r) =>
      new LocalResource(
        "replicationSubscription",
        `${svc.name}-subscription-${r.host}`,
        {
          url: r.store.url,
          publisherUrl: args.primary.url,
          subscription: subscriptionName(svc.name, r.host),
          publication,
          tables: args.schema.tables,
          mode: svc.replication.mode,
          logFile: path.join(logDir(c), `${svc.name}-store-${r.host}.log`),
        },
        { parent, dependsOn: [pub, schemas.get(r.host) as LocalResource] },
        ["url", "publisherUrl"],
      ),
  );
  // Set last: waiting for subscriptions that do not stream yet would block the primary's writes.
  const standbys = new LocalResource(
    "replicationSyncStandbys",
    `${svc.name}-sync-standbys-${args.primaryHost}`,
    { url: args.primary.url, mode: svc.replication.mode, subscriptions: args.replicas.map((r) => subscriptionName(svc.name, r.host)) },
    { parent, dependsOn: subs },
    ["url"],
  );
  return [standbys];
}

export function createReplication(c: LocalContext, args: ReplicationArgs, parent: pulumi.Resource, dependsOn: pulumi.Resource[]): ReplicationHandle {
  const svc = args.service;
  const stores = [{ host: args.primaryHost, store: args.primary }, ...args.replicas];
  const schemas = new Map(stores.map((s) => [s.host, schemaOn(args, s.host, s.store, parent)]));
  const stream = svc.replication.driver === "stream" ? createChangeStream(c, args, schemas, parent, dependsOn) : undefined;
  const ready = stream ? stream.ready : logical(c, args, schemas, parent);
  const topology: pulumi.Output<ReplicationTopology> = pulumi
    .all([args.primary.url, ...args.replicas.map((r) => r.store.url), stream?.brokerUrl ?? ""])
    .apply(([primaryUrl, ...rest]) => ({
      service: svc.name,
      driver: svc.replication.driver,
      mode: svc.replication.mode,
      tables: args.schema.tables,
      primary: { host: args.primaryHost, url: primaryUrl },
      replicas: args.replicas.map((r, i) => ({ host: r.host, url: rest[i], subscription: subscriptionName(svc.name, r.host) })),
      ...(stream ? { stream: { url: rest[args.replicas.length], name: stream.streamName } } : {}),
    }));
  const port = svc.replication.metricsPort;
  const exporter = new LocalResource(
    "process",
    exporterName(svc.name),
    {
      supervisorHome: supervisorHome(c),
      name: exporterName(svc.name),
      argv: [process.execPath, path.join(c.root, "dist", "automation", "replication", "exporter.js")],
      cwd: c.root,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOST: "127.0.0.1", PORT: String(port) },
      secretEnv: pulumi.secret(topology.apply((t) => ({ UNDERSTUDY_REPLICATION: JSON.stringify(t) }))),
      address: "127.0.0.1",
      port,
      healthPath: "/metrics",
      logDir: logDir(c),
    },
    { parent, dependsOn: [...dependsOn, ...ready] },
    ["secretEnv"],
  );
  // Labels service/shadow/host are on the exporter's samples; the target adds none that would clash.
  const targets = [{ targets: [`127.0.0.1:${port}`], labels: { component: "replication" } }];
  new LocalResource(
    "file",
    `${svc.name}-replication-targets`,
    { path: path.join(targetsDir(c), `${svc.name}-replication.json`), content: JSON.stringify(targets, null, 2) + "\n" },
    { parent, dependsOn: [exporter] },
  );
  return { ready };
}
