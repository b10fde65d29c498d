// Store promotion on aws: a shadow zone's RDS read replica becomes the primary (PromoteReadReplica),
// then the stack is repointed (understudy:services.<svc>.store.host, refresh, up) so the live instances
// use it and the stack stops declaring it as a replica. Consistency first, as RDS allows it: read
// replicas are asynchronous and nothing here can fence a running primary, so a primary that is still
// available is refused (use the Multi-AZ failover of sync mode, or stop its writers first), and a
// promotion always names its possible loss (acceptDataLoss).
import { DescribeDBInstancesCommand, DescribeDBInstancesCommandOutput, PromoteReadReplicaCommand } from "@aws-sdk/client-rds";
import type { PromotionRequest, Promoter } from "../../../../automation/platform/seams";
import { MetricsSource } from "../../../../automation/metrics/source";
import { PromotionRefused, PromotionReport } from "../../../../automation/replication/promote";
import { ServiceSpec, StackSpec } from "../../../config";
import { awsInstanceQueries } from "./queries";
import { ServiceTargets } from "./targets";

export interface RdsApi {
  send(command: DescribeDBInstancesCommand): Promise<Pick<DescribeDBInstancesCommandOutput, "DBInstances">>;
  send(command: PromoteReadReplicaCommand): Promise<unknown>;
}

export interface AwsPromoterDeps {
  rds: RdsApi;
  /** CloudWatch (ReplicaLag). */
  metrics: MetricsSource;
  spec(): Promise<StackSpec>;
  targets(): Promise<Record<string, ServiceTargets>>;
  /** Points the stack at the new primary and applies it: config, refresh, up. */
  repoint(spec: StackSpec, svc: ServiceSpec, host: string): Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  /** How long RDS may take to make the replica standalone (default 30 min). */
  promoteTimeoutMs?: number;
}

interface DbState {
  identifier: string;
  status: string;
  /** Set while the instance is a read replica. */
  source?: string;
}

interface StoreStatus {
  host: string;
  identifier: string;
  status: string;
  replicaOf?: string;
  lagSeconds?: number;
}

export function awsPromoter(d: AwsPromoterDeps): Promoter {
  const sleep = d.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const describe = async (identifier: string): Promise<DbState | undefined> => {
    try {
      const out = await d.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
      const db = out.DBInstances?.[0];
      return db ? { identifier, status: db.DBInstanceStatus ?? "unknown", source: db.ReadReplicaSourceDBInstanceIdentifier || undefined } : undefined;
    } catch (e) {
      if ((e as { name?: string }).name === "DBInstanceNotFoundFault") return undefined;
      throw e;
    }
  };
  const serviceOf = async (name: string) => {
    const spec = await d.spec();
    const svc = spec.services.find((s) => s.name === name);
    if (!svc?.store) throw new Error(`service '${name}' has no store to promote (stack config understudy:services.${name}.store)`);
    const t = (await d.targets())[name];
    if (!t) throw new Error(`aws runtime: the stack's state has no resources of service '${name}' (not deployed yet?)`);
    return { spec, svc, store: svc.store, t };
  };
  const lags = async (svc: string, t: ServiceTargets): Promise<Record<string, number>> => {
    const samples = await d.metrics.query(awsInstanceQueries(svc, t).replicationLagSec);
    return Object.fromEntries(samples.map((s) => [s.labels.shadow?.replace(`${svc}-shadow-`, "") ?? "", s.value]));
  };
  const status = async (name: string) => {
    const { store, t } = await serviceOf(name);
    const lag = await lags(name, t);
    const stores: StoreStatus[] = [];
    for (const [host, identifier] of Object.entries(t.stores)) {
      const db = await describe(identifier);
      stores.push({ host, identifier, status: db?.status ?? "not found", replicaOf: db?.source, lagSeconds: host === store.host ? undefined : lag[host] });
    }
    return { service: name, primary: store.host, stores };
  };
  return {
    status,
    async promote(r: PromotionRequest): Promise<PromotionReport> {
      const t0 = Date.now();
      const { spec, svc, store } = await serviceOf(r.service);
      const s = await status(r.service);
      const observeMs = Date.now() - t0;
      const replicas = s.stores.filter((x) => x.host !== store.host);
      const primary = s.stores.find((x) => x.host === store.host);
      // Least behind among the available replicas, unless one is named.
      const candidates = replicas.filter((x) => x.status === "available").sort((a, b) => (a.lagSeconds ?? Infinity) - (b.lagSeconds ?? Infinity));
      const target = r.to ? replicas.find((x) => x.host === r.to) : candidates[0];
      const reasons: string[] = [];
      if (!target) reasons.push(r.to ? `${r.to} holds no read replica of '${r.service}' (replicas: ${replicas.map((x) => x.host).join(", ") || "none"})` : "no available read replica");
      else {
        if (target.status !== "available") reasons.push(`the replica in ${target.host} is ${target.status}, not available`);
        if (target.lagSeconds === undefined) reasons.push(`no ReplicaLag from CloudWatch for the replica in ${target.host}: its position is unknown`);
        else if (target.lagSeconds > svc.replication.maxLagSeconds) reasons.push(`the replica in ${target.host} lags ${target.lagSeconds}s, over the bound of ${svc.replication.maxLagSeconds}s`);
      }
      if (primary?.status === "available") {
        reasons.push(`the primary ${primary.identifier} is available and cannot be fenced from here: promoting a replica beside it splits writes; stop its writers first, or in sync mode let RDS fail over to its Multi-AZ standby (reboot with failover)`);
      }
      if (!r.acceptDataLoss) reasons.push("RDS read replicas are asynchronous: writes the primary acknowledged after the replica's last applied position are lost; pass acceptDataLoss to promote anyway");
      if (reasons.length > 0 || !target) throw new PromotionRefused(r.service, reasons);
      const t1 = Date.now();
      await d.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: target.identifier, BackupRetentionPeriod: 7 }));
      // Standalone once RDS reports it available without a source (it reboots on the way).
      const deadline = Date.now() + (d.promoteTimeoutMs ?? 30 * 60_000);
      for (;;) {
        const db = await describe(target.identifier);
        if (db && db.status === "available" && !db.source) break;
        if (Date.now() > deadline) throw new Error(`${target.identifier} was asked to be promoted but is still ${db?.status ?? "missing"}${db?.source ? ` (replica of ${db.source})` : ""} after ${Math.round((Date.now() - t1) / 1000)}s`);
        await sleep(10_000);
      }
      const switchMs = Date.now() - t1;
      let repointMs: number | undefined;
      if (r.repoint !== false) {
        const t2 = Date.now();
        await d.repoint(spec, svc, target.host);
        repointMs = Date.now() - t2;
      }
      return {
        service: r.service,
        from: store.host,
        to: target.host,
        driver: "rds-read-replica",
        mode: svc.replication.mode,
        oldPrimary: "dead",
        reasons: [`primary ${primary?.identifier ?? store.host} was ${primary?.status ?? "not found"}`, `replica in ${target.host} lagged ${target.lagSeconds}s`],
        rpo: { lostWrites: null, proven: false, note: `asynchronous physical replication: up to ${target.lagSeconds}s of acknowledged writes may be lost` },
        // Physical replication carries sequences: nothing to move.
        sequences: [],
        timings: { observeMs, fenceMs: 0, catchUpMs: 0, switchMs, writableAfterMs: Date.now() - t0 - (repointMs ?? 0), repointMs, totalMs: Date.now() - t0 },
      };
    },
  };
}
