// Request routing and handlers. Independent of how the server is started: depends only on a Store,
// the metrics object and a mutable state (role, draining), so tests can run it on a fake store.
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { parseRole, type Role, type ServiceConfig } from "./config";
import { burnCpu } from "./cpu";
import { HttpError, isLoopback, readJson, sendJson } from "./http";
import type { ServiceMetrics } from "./metrics";
import type { Order, Store } from "./store";
import { parseLimit, parseOrderId, validateOrder, validateRequestId } from "./validate";

export const MIRROR_HEADER = "x-understudy-mirror";
export const SHADOW_READ_ONLY = "shadow is read-only until promoted";
export const HEALTH_TIMEOUT_MS = 1000;

export interface AppState {
  role: Role;
  /** Set on shutdown: health checks fail, responses close their connection. */
  draining: boolean;
  /** Live instances answer healthy only once the schema exists. */
  schemaReady: boolean;
}

export interface AppDeps {
  config: ServiceConfig;
  store: Store;
  metrics: ServiceMetrics;
  state: AppState;
  /** Random source for fault injection; Math.random by default. */
  random?: () => number;
  /**
   * Called by POST /admin/role before the role changes (and when only the instance name does): switches
   * the store and makes the instance ready to serve in the new role. A throw leaves the role as it was.
   */
  onRoleChange?: (role: Role, previous: Role, instance: string) => Promise<void> | void;
  log?: (level: string, msg: string, fields?: Record<string, unknown>) => void;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  mirrored: boolean;
  params: string[];
}

type Handler = (ctx: Ctx) => Promise<void>;
interface Route {
  method: string;
  pattern: RegExp;
  name: string;
  /** Application routes get the simulated CPU cost, delay and injected faults. */
  app: boolean;
  handler: Handler;
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

function isMirrored(req: IncomingMessage): boolean {
  const v = req.headers[MIRROR_HEADER];
  const s = Array.isArray(v) ? v[0] : v;
  return s !== undefined && (s.trim() === "1" || s.trim().toLowerCase() === "true");
}

/** Errors that mean "the database cannot serve now" (down, fenced read-only, overloaded) → 503. */
export function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code.startsWith("08") || code.startsWith("57P") || code === "25006" || code === "53300") return true;
    if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"].includes(code)) return true;
  }
  const msg = e instanceof Error ? e.message : "";
  return /timeout exceeded when trying to connect|Connection terminated|timed out/i.test(msg);
}

export function createHandler(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  // deps.store is read per request: a promotion in place switches the instance to another store.
  const { config, metrics, state } = deps;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? (() => undefined);

  const orderJson = (o: Order) => ({ ...o });
  /** The role change in progress (POST /admin/role), or a settled promise. */
  let roleChange: Promise<void> = Promise.resolve();

  const createOrder: Handler = async ({ req, res, mirrored }) => {
    const body = await readJson(req);
    if (!mirrored && state.role === "shadow") return sendJson(res, 503, { error: SHADOW_READ_ONLY });
    const rid = validateRequestId(req.headers["x-request-id"]);
    if (!rid.ok) return sendJson(res, 400, { error: rid.error });
    const v = validateOrder(body);
    if (!v.ok) return sendJson(res, 400, { error: v.error });
    if (mirrored) {
      // A mirrored copy: answer as if created, never store (the shadow's data comes from replication).
      const o = v.value;
      return sendJson(res, 201, {
        id: null,
        customer: o.customer,
        amount: o.amount,
        items: o.items,
        created_at: new Date().toISOString(),
        request_id: rid.value ?? null,
        mirrored: true,
      });
    }
    const { order, created } = await deps.store.create({ ...v.value, requestId: rid.value });
    if (created) return sendJson(res, 201, orderJson(order), { location: `/orders/${order.id}` });
    const same = order.customer === v.value.customer && order.amount === v.value.amount && order.items === v.value.items;
    if (!same) return sendJson(res, 409, { error: "X-Request-Id was already used for a different order", order: orderJson(order) });
    return sendJson(res, 200, orderJson(order), { location: `/orders/${order.id}` });
  };

  const getOrder: Handler = async ({ res, params }) => {
    const id = parseOrderId(params[0]);
    if (!id.ok) return sendJson(res, 400, { error: id.error });
    const o = await deps.store.get(id.value);
    if (o === undefined) return sendJson(res, 404, { error: `order ${id.value} not found` });
    return sendJson(res, 200, orderJson(o));
  };

  const listOrders: Handler = async ({ res, url }) => {
    const limit = parseLimit(url.searchParams.get("limit"));
    if (!limit.ok) return sendJson(res, 400, { error: limit.error });
    const orders = await deps.store.recent(limit.value);
    return sendJson(res, 200, { orders: orders.map(orderJson), limit: limit.value });
  };

  const stats: Handler = async ({ res }) => sendJson(res, 200, await deps.store.stats());

  const healthz: Handler = async ({ res }) => {
    if (state.draining) return sendJson(res, 503, { status: "draining", role: state.role, instance: config.instance });
    if (state.role === "live" && !state.schemaReady) {
      return sendJson(res, 503, { status: "starting", role: state.role, instance: config.instance });
    }
    try {
      await deps.store.ping(HEALTH_TIMEOUT_MS);
    } catch (e) {
      return sendJson(res, 503, { status: "unavailable", role: state.role, instance: config.instance, error: (e as Error).message });
    }
    return sendJson(res, 200, { status: "ok", role: state.role, instance: config.instance });
  };

  const metricsRoute: Handler = async ({ res }) => {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { "content-type": metrics.registry.contentType, "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  };

  const setRole: Handler = async ({ req, res }) => {
    const forwarded = req.headers["x-forwarded-for"] !== undefined || req.headers.forwarded !== undefined;
    if (!isLoopback(req.socket.remoteAddress) || forwarded || isMirrored(req)) {
      return sendJson(res, 403, { error: "admin endpoints accept only direct requests from loopback" });
    }
    const body = (await readJson(req)) as { role?: unknown; instance?: unknown } | null;
    const raw = body?.role;
    if (typeof raw !== "string") return sendJson(res, 400, { error: 'role must be "live" or "shadow"' });
    let role: Role;
    try {
      role = parseRole(raw, "role");
    } catch (e) {
      return sendJson(res, 400, { error: (e as Error).message });
    }
    const instance = body?.instance ?? config.instance;
    if (typeof instance !== "string" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(instance)) {
      return sendJson(res, 400, { error: "instance must be 1-128 characters of [A-Za-z0-9_.:-]" });
    }
    const previous = state.role;
    if (role !== previous || instance !== config.instance) {
      // One role change at a time: a second request waits for the first, then finds nothing to do.
      const change = (roleChange = roleChange.catch(() => undefined).then(async () => {
        if (state.role === role && config.instance === instance) return;
        await deps.onRoleChange?.(role, state.role, instance);
        state.role = role;
        config.instance = instance;
        metrics.setRole(role);
      }));
      try {
        await change;
      } catch (e) {
        log("error", "role change failed", { role, previous, error: (e as Error).message });
        return sendJson(res, 503, { error: `cannot become ${role}: ${(e as Error).message}`, role: state.role, instance: config.instance });
      }
      if (role !== previous) log("info", "role changed", { role, previous, instance });
    }
    return sendJson(res, 200, { role, previous, instance: config.instance });
  };

  const routes: Route[] = [
    { method: "POST", pattern: /^\/orders\/?$/, name: "/orders", app: true, handler: createOrder },
    { method: "GET", pattern: /^\/orders\/?$/, name: "/orders", app: true, handler: listOrders },
    { method: "GET", pattern: /^\/orders\/([^/]+)\/?$/, name: "/orders/:id", app: true, handler: getOrder },
    { method: "GET", pattern: /^\/stats\/?$/, name: "/stats", app: true, handler: stats },
    { method: "GET", pattern: /^\/healthz\/?$/, name: "/healthz", app: false, handler: healthz },
    { method: "GET", pattern: /^\/metrics\/?$/, name: "/metrics", app: false, handler: metricsRoute },
    { method: "POST", pattern: /^\/admin\/role\/?$/, name: "/admin/role", app: false, handler: setRole },
  ];

  return (req, res) => {
    const started = process.hrtime.bigint();
    const method = METHODS.has(req.method ?? "") ? (req.method as string) : "OTHER";
    const mirrored = isMirrored(req);
    let routeName = "unmatched";
    if (state.draining) res.setHeader("connection", "close");
    res.on("finish", () => {
      const labels = { method, route: routeName, mirrored: String(mirrored) };
      metrics.requests.inc({ ...labels, status: String(res.statusCode) });
      metrics.duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });

    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://service.invalid");
    } catch {
      return sendJson(res, 400, { error: "bad request target" });
    }
    const candidates = routes.filter((r) => r.pattern.test(url.pathname));
    if (candidates.length > 0) routeName = candidates[0].name;
    const route = candidates.find((r) => r.method === req.method || (req.method === "HEAD" && r.method === "GET"));
    if (mirrored) metrics.mirrored.inc({ route: routeName });
    if (route === undefined) {
      if (candidates.length === 0) return sendJson(res, 404, { error: `no route for ${url.pathname}` });
      return sendJson(res, 405, { error: `method ${req.method} not allowed` }, { allow: candidates.map((r) => r.method).join(", ") });
    }

    const run = async () => {
      let params: string[];
      try {
        params = route.pattern.exec(url.pathname)?.slice(1).map(decodeURIComponent) ?? [];
      } catch {
        throw new HttpError(400, "malformed percent-encoding in path");
      }
      if (route.app) {
        if (config.faultDelayMs > 0) await sleep(config.faultDelayMs);
        burnCpu(config.cpuCostMs);
        if (config.faultErrorRate > 0 && random() < config.faultErrorRate) {
          req.resume();
          return sendJson(res, 500, { error: "injected fault" });
        }
      }
      await route.handler({ req, res, url, mirrored, params });
    };
    run().catch((e: unknown) => {
      if (e instanceof HttpError) {
        if (e.status === 413) res.setHeader("connection", "close");
        return sendJson(res, e.status, { error: e.message });
      }
      if (isUnavailable(e)) {
        log("warn", "database unavailable", { route: routeName, error: (e as Error).message });
        return sendJson(res, 503, { error: "database unavailable" });
      }
      log("error", "request failed", { route: routeName, error: e instanceof Error ? e.stack : String(e) });
      if (res.headersSent) return void res.destroy();
      return sendJson(res, 500, { error: "internal error" });
    });
  };
}
