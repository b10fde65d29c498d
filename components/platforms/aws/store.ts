// A service's PostgreSQL store on aws: RDS. The live store is the primary (Multi-AZ in sync mode, so
// every acknowledged commit is on a synchronous standby); each shadow's store is an RDS read replica
// of it in the shadow's own zone. RDS manages the master password in Secrets Manager.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Store, StoreArgs } from "../../platform";
import { AwsFoundation } from "./foundation";
import { AwsSettings, zoneOf } from "./settings";
import { finalSnapshotIdentifier } from "./snapshotName";
import { TAG_CONSISTENCY, TAG_ROLE, tags } from "./tags";

export const PG_PORT = 5432;

export interface StoreRecord {
  instance: aws.rds.Instance;
  address: pulumi.Output<string>;
  database: string;
  user: string;
  /** The primary's RDS-managed master secret; replicas share the primary's credentials. */
  secretArn: pulumi.Output<string>;
}

/** Stores by their url Output: instances fetch the password at boot, from the record's secret. */
export class StoreRegistry {
  private readonly byUrl = new Map<pulumi.Output<string>, StoreRecord>();
  private readonly primaries = new Map<string, StoreRecord>();

  add(url: pulumi.Output<string>, r: StoreRecord, primaryOf?: string): void {
    this.byUrl.set(url, r);
    if (primaryOf) this.primaries.set(primaryOf, r);
  }

  of(url: pulumi.Output<string>): StoreRecord {
    const r = this.byUrl.get(url);
    if (!r) throw new Error("aws platform: a databaseUrl must come from this platform's store(); its password lives in Secrets Manager");
    return r;
  }

  primary(service: string): StoreRecord {
    const r = this.primaries.get(service);
    if (!r) throw new Error(`aws platform: the live store of '${service}' must be declared before its replicas`);
    return r;
  }
}

export function createStore(s: AwsSettings, f: AwsFoundation, args: StoreArgs, registry: StoreRegistry, parent: pulumi.Resource): Store {
  const svc = args.service;
  const st = svc.store;
  if (!st) throw new Error(`service '${svc.name}' has no store`);
  const name = `${svc.name}-store-${args.host}`;
  const isPrimary = args.host === st.host;
  const sync = svc.replication.mode === "sync";
  const common = {
    instanceClass: s.db.instanceClass,
    vpcSecurityGroupIds: [f.dbSg.id],
    storageEncrypted: true,
    publiclyAccessible: false,
    // A Multi-AZ primary picks its standby's zone itself; otherwise the store sits in its host's zone.
    availabilityZone: isPrimary && sync ? undefined : zoneOf(s, args.host).availabilityZone,
    tags: tags(name, svc, { [TAG_ROLE]: isPrimary ? "primary" : "replica", [TAG_CONSISTENCY]: svc.consistency }),
  };
  const primary = isPrimary ? undefined : registry.primary(svc.name);
  const instance = primary
    ? new aws.rds.Instance(name, { ...common, replicateSourceDb: primary.instance.identifier, skipFinalSnapshot: true }, { parent, dependsOn: [primary.instance] })
    : new aws.rds.Instance(
        name,
        {
          ...common,
          engine: "postgres",
          engineVersion: s.db.engineVersion,
          allocatedStorage: s.db.allocatedStorageGb,
          dbName: st.database,
          username: st.user,
          manageMasterUserPassword: true,
          multiAz: sync,
          dbSubnetGroupName: f.subnetGroup.name,
          // Read replicas need automated backups on their source.
          backupRetentionPeriod: 7,
          finalSnapshotIdentifier: finalSnapshotIdentifier(svc.name, parent),
        },
        { parent },
      );
  const secretArn = primary ? primary.secretArn : instance.masterUserSecrets.apply((m) => m?.[0]?.secretArn ?? "");
  const record: StoreRecord = { instance, address: instance.address, database: st.database, user: st.user, secretArn };
  const url = pulumi.secret(pulumi.interpolate`postgres://${st.user}@${instance.address}:${PG_PORT}/${st.database}`);
  registry.add(url, record, isPrimary ? svc.name : undefined);
  return { url, address: instance.address, port: PG_PORT, ready: [instance] };
}
