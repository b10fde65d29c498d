// `npm run bench:stack`: cold `up`, no-op `up` and `destroy` of the dev stack's shape, median of N
// runs, plus the Pulumi CLI build with a warm Go cache. Writes bench/results/stack.json + stack.md.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { testStack } from "../../test/helpers/stack";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const config = {
  "understudy:hosts": ["host-1", "host-2", "host-3", "host-4"],
  "understudy:loadBalancer": { port: 32080, statsPort: 32404 },
  "understudy:prometheus": { port: 32090 },
  "understudy:services": {
    orders: {
      command: "node dist/demo/service/main.js",
      port: 32100,
      replicas: 2,
      store: { host: "host-1", port: 32432, database: "orders", schema: "demo/schema/orders.sql" },
      replication: { metricsPort: 32187 },
      shadows: { count: 1 },
    },
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function cliBuildCachedMs(): number {
  const out = path.join(os.tmpdir(), `pulumi-bench-${process.pid}`);
  const t = Date.now();
  execFileSync("go", ["build", "-trimpath", "-o", out, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"], {
    cwd: path.join(ROOT, "tools", "pulumi-cli"),
    env: { ...process.env, GOFLAGS: "-mod=mod" },
    stdio: "ignore",
  });
  fs.rmSync(out, { force: true });
  return Date.now() - t;
}

async function main(): Promise<void> {
  const cold: number[] = [];
  const noop: number[] = [];
  const destroy: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = await testStack(`bench-stack-${i}`, config);
    cold.push(await timed(() => s.stack.up({ onOutput: () => undefined })));
    noop.push(await timed(() => s.stack.up({ onOutput: () => undefined })));
    destroy.push(await timed(() => s.destroy()));
    process.stdout.write(`run ${i + 1}/${RUNS}: cold up ${cold[i].toFixed(0)} ms, no-op up ${noop[i].toFixed(0)} ms, destroy ${destroy[i].toFixed(0)} ms\n`);
  }
  const cliCachedMs = cliBuildCachedMs();
  const result = {
    coldUpMs: median(cold),
    noopUpMs: median(noop),
    destroyMs: median(destroy),
    runs: RUNS,
    samples: { coldUpMs: cold, noopUpMs: noop, destroyMs: destroy },
    cliBuildCachedMs: cliCachedMs,
    machine: { cpus: os.cpus().length, node: process.version },
  };
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "stack.json"), JSON.stringify(result, null, 2) + "\n");
  const md = [
    "# Stack lifecycle (local platform)",
    "",
    `Dev-stack shape: 2 live + 1 shadow demo-service instances, HAProxy, Prometheus, PostgreSQL. Median of ${RUNS} runs on ${os.cpus().length} cores.`,
    "",
    "| operation | median ms | samples |",
    "|---|---|---|",
    `| cold up | ${result.coldUpMs.toFixed(0)} | ${cold.map((x) => x.toFixed(0)).join(", ")} |`,
    `| no-op up | ${result.noopUpMs.toFixed(0)} | ${noop.map((x) => x.toFixed(0)).join(", ")} |`,
    `| destroy | ${result.destroyMs.toFixed(0)} | ${destroy.map((x) => x.toFixed(0)).join(", ")} |`,
    `| Pulumi CLI build, warm Go cache | ${cliCachedMs} | 1 |`,
    "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "stack.md"), md);
  console.log(md);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
