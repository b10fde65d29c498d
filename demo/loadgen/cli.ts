// Command-line parsing for the load generator (pure: argv in, options or an error out).
import type { LoadOptions } from "./run";

export const USAGE = `usage: node dist/demo/loadgen/main.js --target URL (--rps N | --trace CSV [--compress F]
         [--base-rps N --peak-rps N | --scale absolute] [--trace-start TIMESTAMP]) --duration SEC
         [--write-ratio 0.2] [--arrivals uniform|poisson] [--max-requests N] [--max-sockets 64]
         [--idle-timeout-ms 5000] [--timeout-ms 5000] [--late-ms 10] [--seed N] [--header 'Name: value']... [--out results.jsonl] [--json]`;

export interface CliOptions {
  load: LoadOptions;
  /** Print the summary as JSON instead of a table. */
  json: boolean;
}

export class UsageError extends Error {}

const FLAGS = new Set([
  "target", "rps", "trace", "compress", "base-rps", "peak-rps", "scale", "trace-start", "duration", "write-ratio",
  "arrivals", "max-requests", "max-sockets", "idle-timeout-ms", "timeout-ms", "late-ms", "seed", "header", "out",
]);

export function parseArgs(argv: string[]): CliOptions {
  const vals = new Map<string, string>();
  const headers: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") {
      json = true;
      continue;
    }
    if (a === "--help" || a === "-h") throw new UsageError(USAGE);
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !FLAGS.has(m[1])) throw new UsageError(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${m[1]} needs a value`);
    if (m[1] === "header") {
      const h = /^([^:\s]+):\s*(.*)$/.exec(v);
      if (!h) throw new UsageError(`--header expects "Name: value", got ${JSON.stringify(v)}`);
      headers[h[1].toLowerCase()] = h[2];
    } else {
      vals.set(m[1], v);
    }
  }
  const num = (k: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined => {
    const s = vals.get(k);
    if (s === undefined) return undefined;
    const n = Number(s);
    if (s.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${k} expects a number, got ${JSON.stringify(s)}`);
    if (opts.integer && !Number.isInteger(n)) throw new UsageError(`--${k} expects an integer, got ${s}`);
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      throw new UsageError(`--${k} must be in [${opts.min ?? "-inf"}, ${opts.max ?? "inf"}], got ${s}`);
    }
    return n;
  };
  const target = vals.get("target");
  if (target === undefined) throw new UsageError(`--target is required\n${USAGE}`);
  const durationSec = num("duration", { min: 0.001 });
  if (durationSec === undefined) throw new UsageError(`--duration is required\n${USAGE}`);
  const trace = vals.get("trace");
  const rps = num("rps", { min: 0 });
  if ((trace === undefined) === (rps === undefined)) throw new UsageError("give exactly one of --rps and --trace");
  const scale = vals.get("scale") ?? "linear";
  if (scale !== "linear" && scale !== "absolute") throw new UsageError(`--scale must be linear or absolute, got ${scale}`);
  const baseRps = num("base-rps", { min: 0 });
  const peakRps = num("peak-rps", { min: 0 });
  if (trace !== undefined && scale === "linear") {
    if (baseRps === undefined || peakRps === undefined) throw new UsageError("--trace with linear scaling needs --base-rps and --peak-rps");
    if (peakRps < baseRps) throw new UsageError("--peak-rps must be >= --base-rps");
  }
  const arrivals = vals.get("arrivals") ?? "uniform";
  if (arrivals !== "uniform" && arrivals !== "poisson") throw new UsageError(`--arrivals must be uniform or poisson, got ${arrivals}`);
  const load: LoadOptions = {
    target,
    durationSec,
    rps,
    trace,
    compress: num("compress", { min: 1e-9 }),
    scale,
    baseRps,
    peakRps,
    traceStart: vals.get("trace-start"),
    arrivals,
    writeRatio: num("write-ratio", { min: 0, max: 1 }),
    maxRequests: num("max-requests", { integer: true, min: 1 }),
    maxSockets: num("max-sockets", { integer: true, min: 1 }),
    idleTimeoutMs: num("idle-timeout-ms", { integer: true, min: 1 }),
    timeoutMs: num("timeout-ms", { integer: true, min: 1 }),
    lateMs: num("late-ms", { min: 0 }),
    seed: num("seed", { integer: true }),
    headers: Object.keys(headers).length > 0 ? headers : undefined,
    out: vals.get("out"),
  };
  return { load, json };
}
