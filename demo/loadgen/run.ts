// Open-loop load: requests are issued on a precomputed schedule whether or not earlier ones have been
// answered. A bounded keep-alive agent carries them; when every socket is busy a request waits for
// one and is counted late, but the schedule itself never slows down.
import * as fs from "node:fs";
import * as http from "node:http";
import { performance } from "node:perf_hooks";
import { once } from "node:events";
import { seededRandom } from "../../automation/forecast/random";
import { LoadRecords, type Kind } from "./records";
import { DEFAULT_LATE_MS, summarize, type LoadSummary } from "./stats";
import { buildSchedule, constantSchedule, expectedRequests, loadTrace, parseTimestamp, sendTimes, type RateSchedule, type Trace } from "./trace";

export interface ReadMix {
  /** GET /orders/:id of an id this run created (falls back to a list while none exists). */
  byId: number;
  /** GET /orders?limit=20 */
  list: number;
  /** GET /stats */
  stats: number;
}

export interface LoadOptions {
  /** Base URL, http only, e.g. http://127.0.0.1:18080 */
  target: string;
  /** Constant rate; used when no trace is given. */
  rps?: number;
  /** Trace file path or parsed trace. */
  trace?: string | Trace;
  /** Trace time per wall time (600 → 10 min of trace a second); default 1. */
  compress?: number;
  scale?: "linear" | "absolute";
  baseRps?: number;
  peakRps?: number;
  /** Where in the trace to start: a timestamp as in the file; default its first row. */
  traceStart?: string;
  /** A ready schedule instead of rps/trace. */
  schedule?: RateSchedule;
  arrivals?: "uniform" | "poisson";
  /** Fraction of requests that are POST /orders; default 0.2. */
  writeRatio?: number;
  readMix?: ReadMix;
  durationSec: number;
  /** Hard cap on requests issued; default 1,000,000. */
  maxRequests?: number;
  /** Sockets in the keep-alive pool; default 64. */
  maxSockets?: number;
  /**
   * An idle pooled socket is closed after this long, or sooner when the server announces a shorter
   * `Keep-Alive: timeout` (Node lowers it to the announced time minus 1 s); default 5000, as Node's
   * global agent. Without it a socket idles until the server closes it, and a request sent at that
   * moment is reset.
   */
  idleTimeoutMs?: number;
  /** Per-request limit from issue to end of response; default 5000. */
  timeoutMs?: number;
  lateMs?: number;
  /** Seed for the request mix and payloads (deterministic runs). */
  seed?: number;
  /** Extra headers on every request (e.g. X-Understudy-Mirror for testing a shadow directly). */
  headers?: Record<string, string>;
  /** Write every record as a JSON line here at the end. */
  out?: string;
}

export interface LoadResult extends LoadSummary {
  /** Not enumerable: JSON.stringify(result) gives the summary only. */
  readonly records: LoadRecords;
  /** Expected requests from the schedule's integral over the duration. */
  expectedRequests: number;
  /** Stopped early by the abort signal. */
  aborted: boolean;
  /** Stopped at maxRequests. */
  capped: boolean;
}


export function resolveSchedule(o: LoadOptions): RateSchedule {
  if (o.schedule) return o.schedule;
  if (o.trace !== undefined) {
    const trace = typeof o.trace === "string" ? loadTrace(o.trace) : o.trace;
    let startAt: number | undefined;
    if (o.traceStart !== undefined) {
      startAt = parseTimestamp(o.traceStart);
      if (!Number.isFinite(startAt)) throw new RangeError(`trace start ${JSON.stringify(o.traceStart)} is not a timestamp`);
    }
    const scale = o.scale ?? "linear";
    if (scale === "linear" && (o.baseRps === undefined || o.peakRps === undefined)) {
      throw new RangeError("a trace with linear scaling needs baseRps and peakRps (or use scale absolute)");
    }
    return buildSchedule(trace, { compress: o.compress ?? 1, scale, baseRps: o.baseRps, peakRps: o.peakRps, startAt });
  }
  if (o.rps !== undefined) return constantSchedule(o.rps);
  throw new RangeError("give a rate (rps) or a trace");
}

function validate(o: LoadOptions): URL {
  let u: URL;
  try {
    u = new URL(o.target);
  } catch {
    throw new RangeError(`target ${JSON.stringify(o.target)} is not a URL`);
  }
  if (u.protocol !== "http:") throw new RangeError(`target must be http://, got ${u.protocol}`);
  if (!(o.durationSec > 0) || !Number.isFinite(o.durationSec)) throw new RangeError(`duration must be > 0 seconds, got ${o.durationSec}`);
  const wr = o.writeRatio ?? 0.2;
  if (!(wr >= 0 && wr <= 1)) throw new RangeError(`write ratio must be in [0, 1], got ${wr}`);
  for (const [k, v] of [
    ["maxRequests", o.maxRequests],
    ["maxSockets", o.maxSockets],
    ["timeoutMs", o.timeoutMs],
    ["idleTimeoutMs", o.idleTimeoutMs],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  return u;
}

const CUSTOMERS = 200;
const ID_POOL = 10_000;

export async function runLoad(options: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  const base = validate(options);
  const schedule = resolveSchedule(options);
  const duration = options.durationSec;
  const maxRequests = options.maxRequests ?? 1_000_000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const writeRatio = options.writeRatio ?? 0.2;
  const mix = options.readMix ?? { byId: 0.6, list: 0.25, stats: 0.15 };
  const mixTotal = mix.byId + mix.list + mix.stats;
  if (!(mixTotal > 0)) throw new RangeError("read mix must have a positive weight");
  const random = seededRandom(options.seed ?? Date.now());
  const runId = `lg${Date.now().toString(36)}${Math.floor(random() * 1e6).toString(36)}`;
  const prefix = base.pathname.replace(/\/$/, "");
  const expected = expectedRequests(schedule, duration);
  const records = new LoadRecords(Math.min(maxRequests, Math.ceil(expected * 1.1) + 16));
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, maxFreeSockets: options.maxSockets ?? 64, timeout: options.idleTimeoutMs ?? 5000 });
  const ids: number[] = [];
  let idNext = 0;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const t0 = performance.now();
  const now = () => performance.now() - t0;

  const pickKind = (): Kind => {
    if (random() < writeRatio) return "write";
    const x = random() * mixTotal;
    if (x < mix.byId) return ids.length > 0 ? "read_id" : "read_list";
    return x < mix.byId + mix.list ? "read_list" : "stats";
  };

  const issue = (seq: number, scheduledMs: number) => {
    const kind = pickKind();
    const headers: Record<string, string> = { ...options.headers };
    let path: string;
    let method = "GET";
    let body: string | undefined;
    switch (kind) {
      case "write":
        method = "POST";
        path = "/orders";
        body = JSON.stringify({
          customer: `customer-${Math.floor(random() * CUSTOMERS)}`,
          amount: Math.round((1 + random() * 499) * 100) / 100,
          items: 1 + Math.floor(random() * 5),
        });
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(body));
        headers["x-request-id"] = `${runId}-${seq}`;
        break;
      case "read_id":
        path = `/orders/${ids[Math.floor(random() * ids.length)]}`;
        break;
      case "read_list":
        path = "/orders?limit=20";
        break;
      default:
        path = "/stats";
    }
    const i = records.add(kind, scheduledMs);
    inFlight++;
    let finished = false;
    let sentAt = NaN;
    const finish = (status: number, error: string | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      records.complete(i, status, error, now() - (Number.isNaN(sentAt) ? scheduledMs : sentAt));
      if (--inFlight === 0) drained?.();
    };
    let req: http.ClientRequest;
    try {
      req = http.request({ agent, host: base.hostname.replace(/^\[|\]$/g, ""), port: base.port || 80, path: prefix + path, method, headers });
    } catch (e) {
      records.complete(i, 0, (e as NodeJS.ErrnoException).code ?? "EREQUEST", 0);
      if (--inFlight === 0) drained?.();
      return;
    }
    // finish() only runs from request events, after this is set.
    const timer = setTimeout(() => {
      const e = new Error(`no response within ${timeoutMs} ms`) as NodeJS.ErrnoException;
      e.code = "ETIMEDOUT";
      req.destroy(e);
    }, timeoutMs);
    req.on("socket", () => {
      sentAt = now();
      records.markSent(i, sentAt);
    });
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const collect = kind === "write" && (status === 201 || status === 200);
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        if (collect) chunks.push(c);
      });
      res.on("end", () => {
        if (collect) {
          try {
            const id = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id?: unknown }).id;
            if (typeof id === "number") {
              if (ids.length < ID_POOL) ids.push(id);
              else ids[idNext++ % ID_POOL] = id;
            }
          } catch {
            // a body that is not JSON: the status still counts
          }
        }
        finish(status, null);
      });
      res.on("error", (e: NodeJS.ErrnoException) => finish(0, e.code ?? "ERESPONSE"));
      res.on("aborted", () => finish(0, "ECONNRESET"));
    });
    req.on("error", (e: NodeJS.ErrnoException) => finish(0, e.code ?? "EREQUEST"));
    req.end(body);
  };

  // Dispatcher: issue everything that is due, then sleep until the next send time.
  const times = sendTimes(schedule, duration, maxRequests, options.arrivals ?? "uniform", random);
  let aborted = false;
  let seq = 0;
  await new Promise<void>((resolve) => {
    let next = times.next();
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      aborted = true;
      clearTimeout(timer);
      resolve();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const tick = () => {
      if (aborted) return;
      const t = now() / 1000;
      while (!next.done && next.value <= t) {
        issue(seq++, next.value * 1000);
        next = times.next();
      }
      if (next.done) {
        signal?.removeEventListener("abort", onAbort);
        return resolve();
      }
      timer = setTimeout(tick, Math.max(0, next.value * 1000 - now()));
    };
    tick();
  });
  const sendPhaseSec = aborted ? now() / 1000 : duration;
  if (inFlight > 0) await new Promise<void>((r) => (drained = r));
  agent.destroy();

  const summary = summarize(records, { durationSec: sendPhaseSec, lateMs: options.lateMs ?? DEFAULT_LATE_MS });
  if (options.out) await writeRecords(records, options.out);
  const result = { ...summary, expectedRequests: Math.round(expected), aborted, capped: seq >= maxRequests } as LoadResult;
  Object.defineProperty(result, "records", { value: records, enumerable: false });
  return result;
}

const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);

export async function writeRecords(records: LoadRecords, path: string): Promise<void> {
  const out = fs.createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
  for (let i = 0; i < records.length; i++) {
    const line = JSON.stringify({
      i,
      kind: records.kindAt(i),
      status: records.statusAt(i),
      error: records.errorAt(i),
      scheduledMs: r3(records.scheduledAt(i)),
      sentMs: r3(records.sentAt(i)),
      latencyMs: r3(records.latencyAt(i)),
    });
    if (!out.write(line + "\n")) await Promise.race([once(out, "drain"), done]);
  }
  out.end();
  await done;
}
