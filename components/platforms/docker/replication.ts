// CDC from a service's live store to each shadow's store on docker: PostgreSQL logical replication,
// driven by one-shot psql containers — the managed schema on every store, a publication of its
// tables on the primary, a subscription per replica, then the primary's synchronous standbys.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ReplicationArgs, ReplicationHandle } from "../../platform";
import { DockerFoundation } from "./foundation";
import { DockerNames, LABEL_SERVICE, labels } from "./names";
import { DockerSettings } from "./settings";
import { PG_PORT, StoreRecord, StoreRegistry } from "./store";

export const LABEL_REPLICATION = "understudy.replication";

const ident = (...parts: string[]): string => parts.join("_").toLowerCase().replace(/[^a-z0-9_]+/g, "_");
const quoteIdent = (t: string): string => t.split(".").map((p) => `"${p.replace(/"/g, '""')}"`).join(".");
const literal = (v: string): string => `'${v.replace(/'/g, "''")}'`;

export const publicationSql = (pub: string, tables: string[]): string => {
  const list = tables.map(quoteIdent).join(", ");
  return [
    `SELECT 'CREATE PUBLICATION ${pub} FOR TABLE ${list}' WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ${literal(pub)}) \\gexec`,
    `ALTER PUBLICATION ${pub} SET TABLE ${list};`,
  ].join("\n");
};

/** CREATE SUBSCRIPTION cannot run in a transaction or DO block: \gexec runs it only when missing. */
export const subscriptionSql = (sub: string, pub: string, conninfo: string): string =>
  `SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I', ${literal(sub)}, ${literal(conninfo)}, ${literal(pub)}) WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = ${literal(sub)}) \\gexec`;

/** ANY 1: each commit waits until one shadow's store has it. Async mode resets it. */
export const standbysSql = (mode: "sync" | "async", subs: string[]): string =>
  [mode === "sync" && subs.length > 0 ? `ALTER SYSTEM SET synchronous_standby_names = ${literal(`ANY 1 (${subs.map((x) => `"${x}"`).join(", ")})`)};` : "ALTER SYSTEM RESET synchronous_standby_names;", "SELECT pg_reload_conf();"].join("\n");

interface Step {
  name: string;
  kind: string;
  store: StoreRecord;
  sql: pulumi.Input<string>;
  after: pulumi.Resource[];
}

function psql(s: DockerSettings, f: DockerFoundation, n: DockerNames, args: ReplicationArgs, step: Step, parent: pulumi.Resource): docker.Container {
  const st = step.store;
  const envs = pulumi
    .all([st.password, step.sql])
    .apply(([pw, sql]) => [`PGHOST=${st.container}`, `PGPORT=${PG_PORT}`, `PGUSER=${st.user}`, `PGDATABASE=${st.database}`, `PGPASSWORD=${pw}`, `UNDERSTUDY_SQL=${sql}`]);
  const name = `${n.prefix}-${step.name}`;
  return new docker.Container(
    step.name,
    {
      name,
      image: f.image(s.postgresImage, parent).imageId,
      command: ["sh", "-c", 'printf "%s\\n" "$UNDERSTUDY_SQL" | psql -v ON_ERROR_STOP=1'],
      envs: pulumi.secret(envs),
      networksAdvanced: [{ name: f.backbone.name }],
      // Run to completion once: attach waits for the exit, mustRun false keeps it from restarting.
      attach: true,
      logs: true,
      mustRun: false,
      restart: "no",
      labels: labels({ [LABEL_SERVICE]: args.service.name, [LABEL_REPLICATION]: step.kind, "understudy.mode": args.service.replication.mode }),
    },
    { parent, dependsOn: step.after, additionalSecretOutputs: ["envs"] },
  );
}

export function createReplication(s: DockerSettings, f: DockerFoundation, n: DockerNames, args: ReplicationArgs, registry: StoreRegistry, parent: pulumi.Resource): ReplicationHandle {
  const svc = args.service;
  const run = (step: Step) => psql(s, f, n, args, step, parent);
  const primary = registry.of(args.primary.url);
  const pub = ident(svc.name, "pub");
  const schema = (host: string, store: StoreRecord) => run({ name: `${svc.name}-schema-${host}`, kind: "schema", store, sql: args.schema.sql, after: [store.resource] });
  const publication = run({ name: `${svc.name}-publication`, kind: "publication", store: primary, sql: publicationSql(pub, args.schema.tables), after: [schema(args.primaryHost, primary)] });
  const subs = args.replicas.map((r) => {
    const store = registry.of(r.store.url);
    const sub = ident(svc.name, "sub", r.host);
    const conninfo = primary.password.apply((pw) => `host=${primary.container} port=${PG_PORT} dbname=${primary.database} user=${primary.user} password=${pw} application_name=${sub}`);
    return {
      name: sub,
      container: run({ name: `${svc.name}-subscription-${r.host}`, kind: "subscription", store, sql: conninfo.apply((c) => subscriptionSql(sub, pub, c)), after: [publication, schema(r.host, store)] }),
    };
  });
  // Last: a primary waiting for subscribers that do not stream yet would block every commit.
  const standbys = run({
    name: `${svc.name}-standbys`,
    kind: "standbys",
    store: primary,
    sql: standbysSql(svc.replication.mode, subs.map((x) => x.name)),
    after: [publication, ...subs.map((x) => x.container)],
  });
  return { ready: [standbys] };
}
