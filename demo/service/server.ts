// Wires config, store, metrics and routes into a listening HTTP server with graceful shutdown.
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { register as defaultRegistry, type Registry } from "prom-client";
import { storeUrlFor, type Role, type SavedRole, type ServiceConfig } from "./config";
import { ServiceMetrics } from "./metrics";
import { createHandler, HEALTH_TIMEOUT_MS, type AppDeps, type AppState } from "./routes";
import { PgStore, type Store } from "./store";

export const SHUTDOWN_GRACE_MS = 5000;

export type Logger = (level: string, msg: string, fields?: Record<string, unknown>) => void;

export interface StartOptions {
  store?: Store;
  /** Opens the store of another URL (a promotion in place switches to the primary); default PgStore. */
  openStore?: (url: string, instance: string) => Store;
  /** Defaults to prom-client's global registry. */
  registry?: Registry;
  /** collectDefaultMetrics (process metrics); default true. */
  defaultMetrics?: boolean;
  log?: Logger;
  random?: () => number;
}

export interface RunningService {
  server: http.Server;
  state: AppState;
  metrics: ServiceMetrics;
  host: string;
  port: number;
  url: string;
  /** Stop accepting, let in-flight requests finish (at most SHUTDOWN_GRACE_MS), close the pool. */
  shutdown(): Promise<{ forced: boolean }>;
}

export function jsonLogger(config: Pick<ServiceConfig, "service" | "instance">): Logger {
  return (level, msg, fields = {}) => {
    const line = JSON.stringify({ ts: new Date().toISOString(), level, msg, service: config.service, instance: config.instance, ...fields });
    if (level === "error" || level === "warn") console.error(line);
    else console.log(line);
  };
}

export async function startService(config: ServiceConfig, opts: StartOptions = {}): Promise<RunningService> {
  const log = opts.log ?? jsonLogger(config);
  const openStore = opts.openStore ?? ((url: string, instance: string) => new PgStore(url, `understudy-demo:${instance}`));
  let storeUrl = storeUrlFor(config, config.role);
  const store = opts.store ?? openStore(storeUrl, config.instance);
  const metrics = new ServiceMetrics(
    opts.registry ?? defaultRegistry,
    { service: config.service, instance: config.instance, host: config.hostLabel },
    { defaultMetrics: opts.defaultMetrics ?? true },
  );
  const state: AppState = { role: config.role, draining: false, schemaReady: false };
  metrics.setRole(state.role);

  // Schema: created by live instances only (a shadow's comes from replication). Retried in the
  // background so the process can start before its database; /healthz says "starting" meanwhile.
  let schemaLoop: Promise<void> | undefined;
  let schemaTimer: NodeJS.Timeout | undefined;
  const ensureSchema = () => {
    if (schemaLoop !== undefined || state.schemaReady) return;
    schemaLoop = (async () => {
      let delay = 250;
      for (let attempt = 1; !state.draining; attempt++) {
        try {
          await deps.store.ensureSchema();
          state.schemaReady = true;
          log("info", "schema ready", { attempt });
          return;
        } catch (e) {
          if (attempt === 1 || attempt % 10 === 0) log("warn", "schema not ready, retrying", { attempt, error: (e as Error).message });
        }
        await new Promise<void>((r) => (schemaTimer = setTimeout(r, delay)));
        delay = Math.min(delay * 2, 5000);
      }
    })().finally(() => (schemaLoop = undefined));
  };

  // A role changed in place: the store the new role uses, opened, its schema checked and its pool warmed
  // before the role flips (a promoted shadow's first live request finds a connection to the primary),
  // then the old store closed once its requests are done; the role saved for a restart.
  const changeRole = async (role: Role, _previous: Role, instance: string): Promise<void> => {
    const url = storeUrlFor(config, role);
    const next = url !== storeUrl ? openStore(url, instance) : undefined;
    try {
      // A live instance answers only once its schema exists (the same store as before included).
      if (role === "live") await (next ?? deps.store).ensureSchema();
      if (next) {
        await next.ping(HEALTH_TIMEOUT_MS * 5);
        await next.warm?.();
      }
      if (config.roleFile) {
        const saved: SavedRole = { role, instance };
        const tmp = `${config.roleFile}.tmp-${process.pid}`;
        fs.mkdirSync(path.dirname(config.roleFile), { recursive: true });
        fs.writeFileSync(tmp, JSON.stringify(saved) + "\n", { mode: 0o600 });
        fs.renameSync(tmp, config.roleFile);
      }
    } catch (e) {
      await next?.close();
      throw e;
    }
    if (next) {
      const old = deps.store;
      deps.store = next;
      storeUrl = url;
      // Requests already holding the old store may still query it (statement_timeout 10 s).
      setTimeout(() => void old.close(), 11_000).unref();
    }
    if (role === "live") state.schemaReady = true;
  };

  const deps: AppDeps = {
    config,
    store,
    metrics,
    state,
    log,
    random: opts.random,
    onRoleChange: async (role, previous, instance) => {
      await changeRole(role, previous, instance);
      if (role === "live") ensureSchema();
    },
  };
  const handler = createHandler(deps);
  const active = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    active.add(res);
    res.on("close", () => active.delete(res));
    handler(req, res);
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen on ${config.host}:${config.port} (HOST/PORT): ${e.code ?? e.message}`));
    };
    server.once("error", onError);
    server.listen(config.port, config.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  log("info", "listening", { host: config.host, port, role: state.role });
  if (state.role === "live") ensureSchema();

  let stopping: Promise<{ forced: boolean }> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      state.draining = true;
      clearTimeout(schemaTimer);
      log("info", "shutting down", { inFlight: active.size });
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      // In-flight responses end their keep-alive connection instead of leaving it idle.
      for (const res of active) {
        if (!res.headersSent) res.setHeader("connection", "close");
        else res.on("finish", () => res.socket?.end());
      }
      let timer: NodeJS.Timeout | undefined;
      const forced = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), SHUTDOWN_GRACE_MS))),
      ]);
      clearTimeout(timer);
      if (forced) {
        log("warn", "grace period over, closing remaining connections", { inFlight: active.size });
        server.closeAllConnections();
        await closed;
      }
      await schemaLoop?.catch(() => undefined);
      await deps.store.close();
      log("info", "stopped", { forced });
      return { forced };
    })();
    return stopping;
  };

  return { server, state, metrics, host: config.host, port, url: `http://${urlHost}:${port}`, shutdown };
}
