// `npm run runner -- <run|tick|explain|simulate|backtest> [options]`: the automation runtime.
//   run       loop: a tick every --interval seconds (default 30) until stopped (Ctrl-C) or --ticks N
//   tick      one iteration, for cron or a scheduled pipeline
//   explain   the last decisions and why (--last N, default 10)
//   simulate  the trace-driven simulator (bench/simulate; its own flags pass through)
//   backtest  the forecasting backtest (bench/forecast; its own flags pass through)
// Common: --stack NAME (dev), --dry-run (forecast and decide, change nothing), --prometheus URL,
//         --forecaster ensemble|holt-winters|seasonal-naive|lstm (holt-winters), --metrics-port N,
//         --metrics-host ADDR (127.0.0.1; 0.0.0.0 in a pod, for Prometheus),
//         --lock pid|lease (pid: a pid file, one machine; lease: a coordination.k8s.io Lease taken with
//         the pod's service account, --lease NAME (understudy-runner-<stack>), --lease-seconds N (60)).
import { fork } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import { openStack } from "../engine";
import { ModelKind } from "../forecast";
import { prometheusSource } from "../metrics/prometheus";
import { realClock } from "./clock";
import { takeLock } from "./lock";
import { describeTick, readRecords, RunnerMetrics } from "./record";
import { recover } from "./recovery";
import { stackRuntime } from "./runtime";
import { runnerDir } from "./state";
import { RunnerContext, tick } from "./tick";

const ROOT = path.resolve(__dirname, "..", "..", "..");

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function context(argv: string[], runnerMetrics: RunnerMetrics): Promise<RunnerContext> {
  const stackName = flag(argv, "stack") ?? "dev";
  const stack = await openStack({ root: ROOT, stack: stackName });
  for (const note of await recover(stack, path.join(ROOT, ".understudy", "state"))) console.log(`runner: ${note}`);
  const metrics = prometheusSource(flag(argv, "prometheus") ?? "http://127.0.0.1:19090");
  return {
    root: ROOT,
    stack,
    dir: runnerDir(ROOT, stackName),
    metrics,
    runtime: await stackRuntime(ROOT, stack, metrics),
    clock: realClock,
    dryRun: argv.includes("--dry-run"),
    forecast: { kind: (flag(argv, "forecaster") ?? "holt-winters") as ModelKind, refitMs: 6 * 3600_000, seed: 1 },
    runnerMetrics,
    onOutput: (s) => process.stdout.write(s),
  };
}

function serveMetrics(metrics: RunnerMetrics, port: number, host: string): http.Server {
  return http
    .createServer((_req, res) => {
      void metrics.registry.metrics().then((body) => {
        res.setHeader("content-type", metrics.registry.contentType);
        res.end(body);
      });
    })
    .listen(port, host);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === "simulate" || cmd === "backtest") {
    const script = path.join(ROOT, "dist", "bench", cmd === "simulate" ? "simulate" : "forecast", "main.js");
    const child = fork(script, rest, { stdio: "inherit" });
    await new Promise<void>((res, rej) => child.on("exit", (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited with ${code}`)))));
    return;
  }
  if (cmd === "explain") {
    const records = readRecords(path.join(runnerDir(ROOT, flag(rest, "stack") ?? "dev"), "decisions.jsonl"), Number(flag(rest, "last") ?? 10));
    if (records.length === 0) console.log("no decisions recorded yet (run `npm run runner -- tick`)");
    for (const r of records) console.log(describeTick(r).join("\n"));
    return;
  }
  if (cmd !== "run" && cmd !== "tick") throw new Error("usage: runner <run|tick|explain|simulate|backtest> [--stack dev] [--dry-run] [--interval 30] [--ticks N]");
  const metrics = new RunnerMetrics();
  const stackName = flag(rest, "stack") ?? "dev";
  // The lock first: recovery (stale backend locks, pending operations) is only safe for the one runner.
  const lock = await takeLock({
    kind: flag(rest, "lock") ?? "pid",
    stack: stackName,
    dir: runnerDir(ROOT, stackName),
    lease: flag(rest, "lease"),
    leaseSeconds: flag(rest, "lease-seconds") === undefined ? undefined : Number(flag(rest, "lease-seconds")),
  });
  let server: http.Server | undefined;
  let stop = false;
  process.on("SIGINT", () => (stop = true));
  process.on("SIGTERM", () => (stop = true));
  try {
    const ctx = await context(rest, metrics);
    server = serveMetrics(metrics, Number(flag(rest, "metrics-port") ?? 19100), flag(rest, "metrics-host") ?? "127.0.0.1");
    const interval = Number(flag(rest, "interval") ?? 30) * 1000;
    const maxTicks = cmd === "tick" ? 1 : Number(flag(rest, "ticks") ?? Infinity);
    for (let n = 0; n < maxTicks && !stop && !lock.lost(); n++) {
      const started = Date.now();
      try {
        console.log(describeTick(await tick(ctx)).join("\n"));
      } catch (e) {
        metrics.errors.inc();
        if (cmd === "tick") throw e;
        console.error(`runner: tick failed: ${(e as Error).message}`);
      }
      while (!stop && !lock.lost() && n + 1 < maxTicks && Date.now() - started < interval) await new Promise((r) => setTimeout(r, 200));
    }
    if (lock.lost()) throw new Error(`stopped: ${lock.lost()}`);
  } finally {
    server?.close();
    await lock.release();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`runner: ${(e as Error).message}`);
  process.exit(1);
});
