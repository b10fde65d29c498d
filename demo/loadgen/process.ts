// The load generator in a process of its own, as real clients are: a caller that also runs an inline
// Pulumi program (`up` through the Automation API) or forecasting holds its own event loop for
// seconds on a busy machine, and a client sharing that loop would send late and time out responses
// that had arrived. Same options and result as runLoad, records included.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KINDS, LoadRecords, type Kind } from "./records";
import type { LoadOptions, LoadResult } from "./run";

const MAIN = path.join(__dirname, "main.js");

/** The command line for options the CLI takes; a ready schedule or a read mix cannot be passed. */
export function cliArgs(o: LoadOptions, out: string): string[] {
  if (o.schedule || o.readMix) throw new RangeError("a schedule or a read mix cannot be passed to the load generator's process");
  if (typeof o.trace === "object") throw new RangeError("give the trace as a file path");
  const args: string[] = ["--target", o.target, "--duration", String(o.durationSec), "--out", out, "--json"];
  const opt = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) args.push(`--${flag}`, String(v));
  };
  opt("rps", o.rps);
  opt("trace", o.trace);
  opt("compress", o.compress);
  opt("scale", o.scale);
  opt("base-rps", o.baseRps);
  opt("peak-rps", o.peakRps);
  opt("trace-start", o.traceStart);
  opt("arrivals", o.arrivals);
  opt("write-ratio", o.writeRatio);
  opt("max-requests", o.maxRequests);
  opt("max-sockets", o.maxSockets);
  opt("idle-timeout-ms", o.idleTimeoutMs);
  opt("timeout-ms", o.timeoutMs);
  opt("late-ms", o.lateMs);
  opt("seed", o.seed);
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push("--header", `${k}: ${v}`);
  return args;
}

/**
 * runLoad in a child process; aborting stops its sending (in-flight requests still finish).
 * `niceness` (-20..19, below 0 needs root) sets the child's scheduling priority: a benchmark whose
 * clients share a core with the system under test raises them so that their own timing, the
 * instrument, is not what the measurement shows.
 */
export async function runLoadProcess(options: LoadOptions, signal?: AbortSignal, niceness?: number): Promise<LoadResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "understudy-loadgen-"));
  const out = path.join(dir, "records.jsonl");
  try {
    const child = spawn(process.execPath, [MAIN, ...cliArgs(options, out)], { stdio: ["ignore", "pipe", "pipe"] });
    if (niceness !== undefined && child.pid !== undefined) {
      try {
        os.setPriority(child.pid, niceness);
      } catch (e) {
        child.kill();
        throw new Error(`cannot run the load generator at niceness ${niceness} (below 0 needs root): ${(e as Error).message}`);
      }
    }
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // The CLI stops sending on its first SIGINT and still prints its summary.
    const onAbort = () => child.kill("SIGINT");
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", resolve);
    });
    signal?.removeEventListener("abort", onAbort);
    if (code !== 0) throw new Error(`the load generator exited with ${code}: ${stderr.trim()}`);
    const result = JSON.parse(stdout.trim().split("\n").pop() ?? "") as LoadResult;
    const records = new LoadRecords();
    for (const line of fs.readFileSync(out, "utf8").split("\n")) {
      if (line === "") continue;
      const r = JSON.parse(line) as { kind: Kind; status: number; error: string | null; scheduledMs: number; sentMs: number | null; latencyMs: number | null };
      if (!KINDS.includes(r.kind)) throw new Error(`unknown request kind in the load generator's records: ${r.kind}`);
      records.push({ kind: r.kind, status: r.status, error: r.error, scheduledMs: r.scheduledMs, sentMs: r.sentMs ?? NaN, latencyMs: r.latencyMs ?? NaN });
    }
    Object.defineProperty(result, "records", { value: records, enumerable: false });
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
