// The stream driver on the local platform: a RabbitMQ node (with its own epmd) per replicated
// service, a publisher on the primary's host reading the primary's replication slot into a stream,
// and a consumer on each shadow host applying the stream to that host's store. In sync mode the
// primary waits for the publisher, which confirms only what at least one shadow applied.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { hostAddress } from "../../config";
import { ReplicationArgs } from "../../platform";
import { LocalContext, logDir, supervisorHome } from "./context";
import { LocalResource } from "./provider";
import { declarePublication } from "./replicationPublication";
import { publicationName } from "../../postgres/sql";

export interface ChangeStream {
  ready: pulumi.Resource[];
  /** Secret: rabbitmq-stream://user:password@127.0.0.1:port */
  brokerUrl: pulumi.Output<string>;
  streamName: string;
}

/** Stream per primary: a new primary starts a new stream, and every shadow copies afresh from it. */
export const streamName = (service: string, primaryHost: string): string => `${service}-cdc-${primaryHost}`;
/** The publisher's slot on the primary, and its application_name (the primary's sync standby). */
export const streamSlot = (service: string): string => `understudy_cdc_${service.replace(/-/g, "_")}`;

const BROKER_USER = "understudy";

export function createChangeStream(c: LocalContext, args: ReplicationArgs, schemas: Map<string, LocalResource>, parent: pulumi.Resource, dependsOn: pulumi.Resource[]): ChangeStream {
  const svc = args.service;
  const sp = svc.replication.streamPort;
  const dir = path.join(c.stateDir, "rabbitmq", svc.name);
  const home = supervisorHome(c);
  const broker = new LocalResource("changeStreamBroker", `${svc.name}-broker`, { dir, streamPort: sp, user: BROKER_USER }, { parent, dependsOn }, ["password"], ["password", "server", "epmd"]);
  const rabbitUser = "rabbitmq";
  const epmd = new LocalResource(
    "process",
    `${svc.name}-broker-epmd`,
    {
      supervisorHome: home,
      name: `${svc.name}-broker-epmd`,
      argv: [broker.out<string>("epmd"), "-port", String(sp + 2), "-address", "127.0.0.1"],
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      secretEnv: {},
      user: rabbitUser,
      address: "127.0.0.1",
      port: sp + 2,
      logDir: logDir(c),
    },
    { parent, dependsOn: [...dependsOn, broker] },
  );
  const node = new LocalResource(
    "process",
    `${svc.name}-broker-node`,
    {
      supervisorHome: home,
      name: `${svc.name}-broker-node`,
      argv: [broker.out<string>("server")],
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: path.join(dir, "home"),
        RABBITMQ_NODENAME: `understudy-${svc.name}@localhost`,
        RABBITMQ_CONFIG_FILE: path.join(dir, "rabbitmq.conf"),
        RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, "enabled_plugins"),
        RABBITMQ_MNESIA_BASE: path.join(dir, "mnesia"),
        RABBITMQ_LOG_BASE: path.join(dir, "log"),
        RABBITMQ_DIST_PORT: String(sp + 1),
        ERL_EPMD_PORT: String(sp + 2),
        // One scheduler (the machine is small), no busy-waiting: an idle Erlang scheduler spins
        // before it sleeps (+sbwt), and on a host that also runs the stores and the consumers that
        // spinning took CPU from them. Distribution on loopback only.
        RABBITMQ_SERVER_ERL_ARGS: "+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}",
      },
      secretEnv: {},
      user: rabbitUser,
      address: "127.0.0.1",
      port: sp,
      logDir: logDir(c),
      startTimeoutMs: 120_000,
    },
    { parent, dependsOn: [epmd] },
  );
  const brokerUrl = pulumi.secret(pulumi.interpolate`rabbitmq-stream://${BROKER_USER}:${broker.out<string>("password")}@127.0.0.1:${sp}`);
  const stream = streamName(svc.name, args.primaryHost);
  const publication = publicationName(svc.name);
  const pub = declarePublication(args, schemas.get(args.primaryHost) as LocalResource, parent);
  const config = (replicas: { host: string; url: pulumi.Output<string> }[]): pulumi.Output<Record<string, string>> =>
    pulumi.secret(
      pulumi
        .all([args.primary.url, broker.out<string>("password"), ...replicas.map((r) => r.url)])
        .apply(([primaryUrl, password, ...urls]): Record<string, string> => ({
          UNDERSTUDY_CHANGE_STREAM: JSON.stringify({
            stream,
            slot: streamSlot(svc.name),
            publication,
            mode: svc.replication.mode,
            tables: args.schema.tables,
            primaryUrl,
            broker: { host: "127.0.0.1", port: sp, user: BROKER_USER, password },
            replicas: replicas.map((r, i) => ({ host: r.host, url: urls[i] })),
          }),
        })),
    );
  const script = (name: string): string[] => [process.execPath, path.join(c.root, "dist", "automation", "replication", `${name}.js`)];
  const publisher = new LocalResource(
    "process",
    `${svc.name}-change-publisher`,
    {
      supervisorHome: home,
      name: `${svc.name}-change-publisher`,
      argv: script("changePublisher"),
      cwd: c.root,
      // Not the consumers' port: a promoted shadow's consumer may still hold it while its host becomes the primary.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOST: hostAddress(c.hosts, args.primaryHost), PORT: String(sp + 3) },
      secretEnv: config(args.replicas.map((r) => ({ host: r.host, url: r.store.url }))),
      address: hostAddress(c.hosts, args.primaryHost),
      port: sp + 3,
      healthPath: "/",
      logDir: logDir(c),
    },
    { parent, dependsOn: [node, pub, ...args.replicas.map((r) => schemas.get(r.host) as LocalResource)] },
    ["secretEnv"],
  );
  const consumers = args.replicas.map(
    (r) =>
      new LocalResource(
        "process",
        `${svc.name}-change-consumer-${r.host}`,
        {
          supervisorHome: home,
          name: `${svc.name}-change-consumer-${r.host}`,
          argv: script("changeConsumer"),
          cwd: c.root,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOST: hostAddress(c.hosts, r.host), PORT: String(sp) },
          secretEnv: config([{ host: r.host, url: r.store.url }]),
          address: hostAddress(c.hosts, r.host),
          port: sp,
          healthPath: "/",
          logDir: logDir(c),
          startTimeoutMs: 120_000,
        },
        // After the publisher: its slot exists, so the copy misses nothing the stream will not carry.
        { parent, dependsOn: [publisher, schemas.get(r.host) as LocalResource] },
        ["secretEnv"],
      ),
  );
  const standbys = new LocalResource(
    "replicationSyncStandbys",
    `${svc.name}-sync-standbys-${args.primaryHost}`,
    { url: args.primary.url, mode: svc.replication.mode, subscriptions: [streamSlot(svc.name)] },
    { parent, dependsOn: consumers },
    ["url"],
  );
  return { ready: [standbys], brokerUrl, streamName: stream };
}
