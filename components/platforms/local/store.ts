// A service's PostgreSQL store on the local platform: a cluster per host (own data dir and port,
// bound to the host's address), run by the supervisor as the postgres OS user when we are root.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { hostAddress } from "../../config";
import { Store, StoreArgs } from "../../platform";
import { LocalContext, logDir, supervisorHome, PROCESS_PATH } from "./context";
import { LocalResource } from "./provider";

const PG_OS_USER = "postgres";

export function createStore(c: LocalContext, args: StoreArgs, parent: pulumi.Resource, dependsOn: pulumi.Resource[]): Store {
  const st = args.service.store;
  if (!st) throw new Error(`service '${args.service.name}' has no store`);
  const name = `${args.service.name}-store-${args.host}`;
  const address = hostAddress(c.hosts, args.host);
  const dataDir = path.join(c.stateDir, "pg", name);
  const cluster = new LocalResource("postgresCluster", name, { dataDir, address, port: st.port, user: st.user }, { parent, dependsOn }, ["password"], ["password", "postgresBinary"]);
  const password = cluster.out<string>("password");
  const server = new LocalResource(
    "process",
    `${name}-server`,
    {
      supervisorHome: supervisorHome(c),
      name,
      argv: [cluster.out<string>("postgresBinary"), "-D", dataDir],
      cwd: dataDir,
      env: { PATH: PROCESS_PATH },
      secretEnv: {},
      user: PG_OS_USER,
      address,
      port: st.port,
      logDir: logDir(c),
    },
    { parent, dependsOn: [...dependsOn, cluster] },
  );
  const db = new LocalResource(
    "postgresDatabase",
    `${name}-db`,
    { address, port: st.port, user: st.user, password, database: st.database },
    { parent, dependsOn: [server] },
    ["password"],
  );
  const url = pulumi.secret(pulumi.interpolate`postgres://${st.user}:${password}@${address}:${st.port}/${st.database}`);
  return { url, address: pulumi.output(address), port: st.port, ready: [db] };
}
