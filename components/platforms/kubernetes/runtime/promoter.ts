// The kubernetes platform's Promoter: store promotion through CloudNativePG's objects, consistency
// first (DESIGN.md "Store failover"), in the order the operator needs them:
//   1. fence the old primary (annotation cnpg.io/fencedInstances: the operator shuts PostgreSQL down
//      cleanly, and a clean shutdown sends every WAL record to the connected subscribers first);
//   2. wait until the chosen shadow's store received everything the primary last reported and applied
//      all it received (understudy's exporter queries, ../metrics.ts) — or refuse and unfence;
//   3. delete its Subscription (reclaim policy delete: the operator drops it in PostgreSQL);
//   4. a Job sets the new primary's sequences past the replicated keys (logical replication does not
//      carry them);
//   5. repoint: stack config store.host + `up` (the program moves the Publication, re-creates the other
//      shadows' Subscriptions against the new primary, repoints the live pods' credentials and
//      removes the old primary's Cluster).
// Lag, catch-up and liveness are read from Prometheus: the runner has no SQL path into the cluster.
import type { Stack } from "@pulumi/pulumi/automation";
import { placeService, ServiceSpec } from "../../../config";
import { preflight } from "../../../../automation/engine";
import type { MetricsSource } from "../../../../automation/metrics/source";
import type { Promoter, PromotionRequest } from "../../../../automation/platform/seams";
import { PromotionRefused, PromotionReport, repointConfig } from "../../../../automation/replication";
import { commonLabels, dnsName, storeClusterName, subscriptionName } from "../names";
import { KubernetesSettings } from "../settings";
import { KubeApi } from "./api";

const CNPG = "/apis/postgresql.cnpg.io/v1";
export const FENCE_ANNOTATION = "cnpg.io/fencedInstances";

/** Sets every sequence owned by a column past the highest value in that column. */
export const SEQUENCES_SQL = `DO $$
DECLARE r record; m bigint;
BEGIN
  FOR r IN SELECT s.oid::regclass AS seq, a.attrelid::regclass AS tbl, a.attname AS col
           FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
           JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
           WHERE s.relkind = 'S' LOOP
    EXECUTE format('SELECT max(%I) FROM %s', r.col, r.tbl) INTO m;
    IF m IS NOT NULL THEN PERFORM setval(r.seq, m); RAISE NOTICE 'sequence % set to %', r.seq, m; END IF;
  END LOOP;
END $$;`;

export interface ShadowStoreStatus {
  host: string;
  subscription: string;
  /** From the primary's walsender (undefined: not streaming, or no metrics). */
  lagSeconds?: number;
  lagBytes?: number;
  /** From the shadow's store: position received, and received but not applied. */
  receivedBytes?: number;
  pendingBytes?: number;
  subscriptionObject: boolean;
}

export interface StoreStatus {
  service: string;
  primary: { host: string; cluster: string; fenced: boolean; positionBytes?: number };
  shadows: ShadowStoreStatus[];
}

interface CnpgObject {
  metadata: { name: string; annotations?: Record<string, string> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface KubernetesPromoterDeps {
  stack: Stack;
  settings: KubernetesSettings;
  api: KubeApi;
  metrics: MetricsSource;
  log?: (line: string) => void;
  /** How often to look while waiting (default 1 s). */
  pollMs?: number;
}

export function kubernetesPromoter(d: KubernetesPromoterDeps): Promoter {
  const ns = d.settings.namespace;
  const log = d.log ?? (() => undefined);
  const clusterPath = (name: string) => `${CNPG}/namespaces/${ns}/clusters/${name}`;
  const one = async (promql: string): Promise<number | undefined> => {
    const v = (await d.metrics.query(promql))[0]?.value;
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const sel = (svc: ServiceSpec, more: string) => `namespace="${ns}",service="${svc.name}",${more}`;

  async function status(svc: ServiceSpec, hosts: string[]): Promise<StoreStatus> {
    const store = svc.store;
    if (!store) throw new Error(`service '${svc.name}' has no store: nothing to promote`);
    const primaryCluster = storeClusterName(svc, store.host);
    const cluster = await d.api.get<CnpgObject>(clusterPath(primaryCluster));
    const shadows: ShadowStoreStatus[] = [];
    for (const host of placeService(svc, hosts).shadows) {
      const sub = subscriptionName(svc.name, host);
      const app = `application_name="${sub}"`;
      shadows.push({
        host,
        subscription: sub,
        lagSeconds: await one(`max(cnpg_understudy_replication_lag_seconds{${sel(svc, app)}})`),
        lagBytes: await one(`max(cnpg_understudy_replication_lag_bytes{${sel(svc, app)}})`),
        receivedBytes: await one(`max(cnpg_understudy_subscription_received_bytes{${sel(svc, `host="${host}",subname="${sub}"`)}})`),
        pendingBytes: await one(`max(cnpg_understudy_subscription_pending_bytes{${sel(svc, `host="${host}",subname="${sub}"`)}})`),
        subscriptionObject: (await d.api.find(`${CNPG}/namespaces/${ns}/subscriptions/${storeClusterName(svc, host)}-sub`)) !== undefined,
      });
    }
    return {
      service: svc.name,
      primary: {
        host: store.host,
        cluster: primaryCluster,
        fenced: cluster.metadata.annotations?.[FENCE_ANNOTATION] !== undefined,
        positionBytes: await one(`max(cnpg_understudy_wal_position_bytes{${sel(svc, `host="${store.host}"`)}})`),
      },
      shadows,
    };
  }

  async function sequencesJob(svc: ServiceSpec, host: string, deadline: number): Promise<string> {
    const cluster = storeClusterName(svc, host);
    const name = dnsName(svc.name, "sequences", host, String(Date.now() % 100000));
    await d.api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name, namespace: ns, labels: { ...commonLabels(svc), "understudy.io/promotion": cluster } },
      spec: {
        backoffLimit: 3,
        ttlSecondsAfterFinished: 3600,
        template: {
          spec: {
            restartPolicy: "OnFailure",
            containers: [
              {
                name: "psql",
                image: d.settings.postgresImage ?? "ghcr.io/cloudnative-pg/postgresql:16",
                command: ["psql", "-v", "ON_ERROR_STOP=1", "-c", SEQUENCES_SQL],
                env: [{ name: "PGDATABASE", valueFrom: { secretKeyRef: { name: `${cluster}-app`, key: "uri" } } }],
              },
            ],
          },
        },
      },
    });
    for (;;) {
      const job = await d.api.get<{ status?: { succeeded?: number; failed?: number } }>(`/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
      if ((job.status?.succeeded ?? 0) > 0) return name;
      if (Date.now() > deadline) throw new Error(`Job ${name} did not complete in time (failed pods: ${job.status?.failed ?? 0})`);
      await sleep(d.pollMs ?? 1000);
    }
  }

  async function promote(r: PromotionRequest): Promise<PromotionReport> {
    const started = Date.now();
    const spec = await preflight(d.stack);
    const svc = spec.services.find((s) => s.name === r.service);
    if (!svc) throw new Error(`the stack has no service '${r.service}'`);
    const st = await status(svc, spec.hosts);
    const observeMs = Date.now() - started;
    const bound = svc.replication.maxLagSeconds;
    const primaryAlive = st.primary.positionBytes !== undefined;
    const why = (s: ShadowStoreStatus): string | undefined => {
      if (!s.subscriptionObject) return `${s.host} has no Subscription`;
      if (!primaryAlive) return s.receivedBytes === undefined ? `${s.host}'s store reports no received position` : undefined;
      if (s.lagSeconds === undefined) return `${s.host}'s lag cannot be measured (no walsender series for ${s.subscription})`;
      if (s.lagSeconds > bound) return `${s.host} is ${s.lagSeconds.toFixed(1)} s behind, over the ${bound} s bound (replication.maxLagSeconds)`;
      return undefined;
    };
    const fit = st.shadows.filter((s) => why(s) === undefined);
    const refusals = st.shadows.map(why).filter((x): x is string => x !== undefined);
    let target: ShadowStoreStatus | undefined;
    if (r.to !== undefined) {
      target = st.shadows.find((s) => s.host === r.to);
      if (!target) throw new PromotionRefused(svc.name, [`${r.to} is not a shadow host of '${svc.name}' (shadows: ${st.shadows.map((s) => s.host).join(", ") || "none"})`]);
      const problem = why(target);
      if (problem && !r.acceptDataLoss) throw new PromotionRefused(svc.name, [problem]);
    } else {
      // Alive primary: the least behind; dead primary: the most advanced (it holds every acknowledged commit in sync mode).
      const ranked = [...fit].sort((a, b) => (primaryAlive ? (a.lagBytes ?? 0) - (b.lagBytes ?? 0) : (b.receivedBytes ?? 0) - (a.receivedBytes ?? 0)));
      target = ranked[0];
      if (!target) throw new PromotionRefused(svc.name, refusals.length > 0 ? refusals : ["the service has no shadow store"]);
    }
    if (!primaryAlive && svc.replication.mode !== "sync" && !r.acceptDataLoss) {
      throw new PromotionRefused(svc.name, [`the primary on ${st.primary.host} reports nothing and replication is async: commits it acknowledged may be lost; pass acceptDataLoss to promote anyway`]);
    }
    const to = target.host;
    const reasons = [primaryAlive ? `${to} is ${target.lagSeconds ?? "?"} s behind (bound ${bound} s)` : `the primary reports nothing; ${to} received the most`];
    log(`promoting ${to}: ${reasons.join("; ")}`);

    // 1. Fence. Even a primary that looks dead is fenced, so it cannot come back taking writes.
    const fenceStart = Date.now();
    await d.api.mergePatch(clusterPath(st.primary.cluster), { metadata: { annotations: { [FENCE_ANNOTATION]: '["*"]' } } });
    log(`old primary ${st.primary.cluster} fenced (${FENCE_ANNOTATION})`);
    const fenceMs = Date.now() - fenceStart;

    // 2. Catch up: received ≥ the primary's last position, nothing received left to apply.
    const waitStart = Date.now();
    const last = await one(`max(max_over_time(cnpg_understudy_wal_position_bytes{${sel(svc, `host="${st.primary.host}"`)}}[5m]))`);
    const deadline = waitStart + bound * 1000 + 5000;
    let caughtUp = false;
    while (Date.now() <= deadline) {
      const now = (await status(svc, spec.hosts)).shadows.find((s) => s.host === to);
      if (now?.receivedBytes !== undefined && now.pendingBytes === 0 && (last === undefined || now.receivedBytes >= last)) {
        caughtUp = true;
        break;
      }
      await sleep(d.pollMs ?? 1000);
    }
    if (!caughtUp && !r.acceptDataLoss) {
      await d.api.mergePatch(clusterPath(st.primary.cluster), { metadata: { annotations: { [FENCE_ANNOTATION]: null } } });
      throw new PromotionRefused(svc.name, [`${to} did not show it applied everything up to the primary's last position within ${bound} s; the old primary was unfenced and takes writes again`]);
    }
    const catchUpMs = Date.now() - waitStart;

    // 3. Detach, 4. sequences.
    const switchStart = Date.now();
    await d.api.delete(`${CNPG}/namespaces/${ns}/subscriptions/${storeClusterName(svc, to)}-sub`);
    log(`${to}: Subscription deleted`);
    const job = await sequencesJob(svc, to, Date.now() + 120_000);
    log(`${to}: sequences set by Job ${job}`);
    const switchMs = Date.now() - switchStart;
    const writableAfterMs = Date.now() - fenceStart;

    // 5. Repoint.
    let repointMs: number | undefined;
    if (r.repoint !== false) {
      const r0 = Date.now();
      await repointConfig(d.stack, spec, svc, to);
      await d.stack.up({ onOutput: (o) => log(o.trimEnd()) });
      repointMs = Date.now() - r0;
    }
    return {
      service: svc.name,
      from: st.primary.host,
      to,
      driver: "cloudnative-pg",
      mode: svc.replication.mode,
      oldPrimary: primaryAlive ? "fenced" : "dead",
      reasons,
      position: last !== undefined ? String(last) : undefined,
      rpo: caughtUp
        ? { lostWrites: 0, proven: primaryAlive, note: primaryAlive ? "fenced, and the shadow's store applied up to the primary's last reported position" : "sync mode: the most advanced shadow holds every acknowledged commit" }
        : { lostWrites: null, proven: false, note: "promoted with acceptDataLoss before the shadow showed it caught up" },
      sequences: [],
      timings: { observeMs, fenceMs, catchUpMs, switchMs, writableAfterMs, repointMs, totalMs: Date.now() - started },
    };
  }

  return {
    async status(service) {
      const spec = await preflight(d.stack);
      const svc = spec.services.find((s) => s.name === service);
      if (!svc) throw new Error(`the stack has no service '${service}'`);
      return status(svc, spec.hosts);
    },
    promote,
  };
}
