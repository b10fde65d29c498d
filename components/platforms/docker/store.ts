// A service's PostgreSQL store on docker: a postgres container per store host (its own volume), with
// wal_level=logical so it can publish. One generated password per service, shared by its stores.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Store, StoreArgs } from "../../platform";
import { DockerFoundation } from "./foundation";
import { DockerNames, LABEL_HOST, LABEL_ROLE, LABEL_SERVICE, labels } from "./names";
import { GeneratedPassword } from "./password";
import { DockerSettings } from "./settings";

export const PG_PORT = 5432;

export interface StoreRecord {
  container: string;
  database: string;
  user: string;
  password: pulumi.Output<string>;
  resource: docker.Container;
}

/** Stores by their url Output: replication needs the container and credentials behind a url. */
export class StoreRegistry {
  private readonly byUrl = new Map<pulumi.Output<string>, StoreRecord>();
  private readonly passwords = new Map<string, GeneratedPassword>();

  add(url: pulumi.Output<string>, r: StoreRecord): void {
    this.byUrl.set(url, r);
  }

  of(url: pulumi.Output<string>): StoreRecord {
    const r = this.byUrl.get(url);
    if (!r) throw new Error("docker platform: a store url must come from this platform's store()");
    return r;
  }

  password(service: string, parent: pulumi.Resource): GeneratedPassword {
    let p = this.passwords.get(service);
    if (!p) {
      p = new GeneratedPassword(`${service}-store-password`, { parent });
      this.passwords.set(service, p);
    }
    return p;
  }
}

export function createStore(s: DockerSettings, f: DockerFoundation, n: DockerNames, args: StoreArgs, registry: StoreRegistry, parent: pulumi.Resource): Store {
  const svc = args.service;
  const st = svc.store;
  if (!st) throw new Error(`service '${svc.name}' has no store`);
  const name = n.store(svc, args.host);
  const password = registry.password(svc.name, parent).value;
  const net = f.networks.get(args.host);
  if (!net) throw new Error(`docker platform: host '${args.host}' has no network`);
  const volume = new docker.Volume(`${name}-data`, { name: `${name}-data` }, { parent });
  const container = new docker.Container(
    name,
    {
      name,
      image: f.image(s.postgresImage, parent).imageId,
      command: ["postgres", "-c", "wal_level=logical", "-c", "max_wal_senders=16", "-c", "max_replication_slots=16"],
      envs: pulumi.secret(password.apply((pw) => [`POSTGRES_USER=${st.user}`, `POSTGRES_DB=${st.database}`, `POSTGRES_PASSWORD=${pw}`])),
      volumes: [{ volumeName: volume.name, containerPath: "/var/lib/postgresql/data" }],
      networksAdvanced: [{ name: net.name, aliases: [name] }, { name: f.backbone.name, aliases: [name] }],
      healthcheck: { tests: ["CMD-SHELL", `pg_isready -U ${st.user} -d ${st.database}`], interval: "2s", timeout: "2s", retries: 30 },
      // Ready means accepting connections: the instances and replication wait for it.
      wait: true,
      restart: "unless-stopped",
      labels: labels({ [LABEL_SERVICE]: svc.name, [LABEL_ROLE]: args.host === st.host ? "primary" : "replica", [LABEL_HOST]: args.host, "understudy.consistency": svc.consistency }),
    },
    { parent, additionalSecretOutputs: ["envs"] },
  );
  const url = pulumi.secret(pulumi.interpolate`postgres://${st.user}:${password}@${name}:${PG_PORT}/${st.database}`);
  registry.add(url, { container: name, database: st.database, user: st.user, password, resource: container });
  return { url, address: pulumi.output(name), port: PG_PORT, ready: [container] };
}
