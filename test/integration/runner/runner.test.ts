// The runner against a real local stack: a dry-run tick decides and records but changes nothing;
// an `up` refused by a locked stack puts the config back; with Prometheus gone, a tick holds (no
// scale-down, no promotion) and says why.
import * as fs from "node:fs";
import * as path from "node:path";
import test from "ava";
import * as supervisor from "../../../components/platforms/local/impl/supervisor";
import { prometheusSource } from "../../../automation/metrics/prometheus";
import { Change } from "../../../automation/decide";
import { preflight } from "../../../automation/engine";
import { applyChanges, ApplyResult } from "../../../automation/runner/apply";
import { realClock } from "../../../automation/runner/clock";
import { readRecords } from "../../../automation/runner/record";
import { staleLocks } from "../../../automation/runner/recovery";
import { stackRuntime } from "../../../automation/runner/runtime";
import { tick } from "../../../automation/runner/tick";
import { ROOT, testStack } from "../../helpers/stack";

const config = {
  "understudy:hosts": ["host-1", "host-2", "host-3"],
  "understudy:loadBalancer": { port: 20080, statsPort: 20404, checkIntervalMs: 500 },
  "understudy:prometheus": { port: 20090, scrapeIntervalSeconds: 1 },
  "understudy:services": { tiny: { command: "node dist/test/fixtures/tiny-service.js", port: 20100, replicas: 2, shadows: { count: 1 } } },
};

test.serial("dry-run records the decision and changes nothing; without Prometheus the tick holds", async (t) => {
  const s = await testStack("it-runner", config);
  const dir = path.join(ROOT, ".understudy", "tmp", "it-runner-runner");
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    await s.stack.up({ onOutput: () => undefined });
    const before = (await s.stack.getAllConfig())["understudy:services"].value;
    const source = prometheusSource("http://127.0.0.1:20090");
    const ctx = {
      root: ROOT,
      stack: s.stack,
      dir,
      metrics: source,
      runtime: await stackRuntime(ROOT, s.stack, source),
      clock: realClock,
      dryRun: true,
      forecast: { kind: "holt-winters" as const, refitMs: 3600_000, seed: 1 },
      history: () => [],
      // P(rise) is certain from zero load: the mirroring rule wants a change, dry-run must not make it.
      policyOverrides: { confidence: 0.5 },
    };
    const r1 = await tick(ctx);
    t.true(r1.dryRun);
    t.is((await s.stack.getAllConfig())["understudy:services"].value, before, "dry-run left the stack config alone");
    t.is(r1.apply, undefined, "nothing applied");
    t.is(readRecords(path.join(dir, "decisions.jsonl"), 5).length, 1, "the decision is in the log");

    // The stack is locked by a live process (an engineer's `pulumi up`): the apply's `up` is refused,
    // and the config goes back to what is deployed, so the next tick decides and applies again.
    const lockDir = path.join(s.backendDir, ".pulumi", "locks", "organization", "understudy", "it-runner");
    fs.mkdirSync(lockDir, { recursive: true });
    fs.writeFileSync(path.join(lockDir, "engineer.json"), JSON.stringify({ pid: process.pid, username: "engineer", hostname: "localhost", timestamp: new Date().toISOString() }));
    const spec = await preflight(s.stack);
    const change: Change = { kind: "setShadows", service: "tiny", rule: "scaling", priority: "scale-down", from: 1, to: 0, avoid: [], reason: "test" };
    let refused: ApplyResult;
    try {
      refused = await applyChanges(s.stack, spec, [change]);
    } finally {
      fs.rmSync(lockDir, { recursive: true, force: true });
    }
    t.deepEqual(refused, { applied: false, skipped: "another update is running; retrying next tick" });
    t.is((await s.stack.getAllConfig())["understudy:services"].value, before, "a refused up leaves the config as deployed");
    t.like(await applyChanges(s.stack, spec, [change]), { applied: true });
    t.is((JSON.parse((await s.stack.getAllConfig())["understudy:services"].value) as { tiny: { shadows: { count: number } } }).tiny.shadows.count, 0, "and the next one applies");

    await supervisor.remove(path.join(s.stateDir, "pm2"), "prometheus");
    const r2 = await tick(ctx);
    t.true(r2.reasons.some((x) => /hold: no live instance is observed: no scale-down, no capacity promotion/.test(x)), r2.reasons.join("\n"));
    t.false(r2.changes.some((c) => ["promote", "demote", "drain"].includes((c as { kind: string }).kind)), "no promotion or removal on missing data");
  } finally {
    await s.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a backend lock left by a dead process is found; a live one is not", (t) => {
  const backend = fs.mkdtempSync(path.join(ROOT, ".understudy", "tmp", "locks-"));
  const lockDir = path.join(backend, ".pulumi", "locks", "organization", "understudy", "crashed");
  fs.mkdirSync(lockDir, { recursive: true });
  fs.writeFileSync(path.join(lockDir, "dead.json"), JSON.stringify({ pid: 2 ** 22 + 12345 }));
  fs.writeFileSync(path.join(lockDir, "alive.json"), JSON.stringify({ pid: process.pid }));
  try {
    t.deepEqual(staleLocks(backend, "crashed").map((p) => path.basename(p)), ["dead.json"]);
    t.deepEqual(staleLocks(backend, "other"), []);
  } finally {
    fs.rmSync(backend, { recursive: true, force: true });
  }
});
