// Warm promotion on the real local platform (issue 12): the runner's scale-up path — the router's fast
// path, then config + `up` — turns the running shadow into a live instance without a restart (same
// pid), moves client traffic to it with no failed request, repoints it to the primary, reloads no
// HAProxy, and leaves a stack whose next preview and `up` change nothing.
import * as path from "node:path";
import test from "ava";
import { preflight } from "../../../automation/engine";
import type { Change } from "../../../automation/decide";
import { applyChanges } from "../../../automation/runner/apply";
import { adminCommand } from "../../../components/platforms/local/impl/haproxyRouting";
import * as supervisor from "../../../components/platforms/local/impl/supervisor";
import { localRouter } from "../../../components/platforms/local/runtime/router";
import { runLoadProcess } from "../../../demo/loadgen";
import { get, pidsListening, ROOT, testStack } from "../../helpers/stack";

const LB = "http://127.0.0.1:29080";
const PORT = 29100;
const config = {
  "understudy:hosts": ["host-1", "host-2", "host-3"],
  "understudy:loadBalancer": { port: 29080, statsPort: 29404, checkIntervalMs: 500 },
  "understudy:prometheus": { port: 29090, scrapeIntervalSeconds: 1 },
  "understudy:services": {
    orders: {
      command: "node dist/demo/service/main.js",
      port: PORT,
      replicas: 1,
      cpuCostMs: 1,
      store: { host: "host-1", port: 29432, database: "orders", schema: "demo/schema/orders.sql" },
      // sync: every acknowledged write is on the shadow's replica before the promotion moves it.
      replication: { mode: "sync", metricsPort: 29187 },
      shadows: { count: 1, mirrorPercent: 100 },
    },
  },
};

/** The instance a request through the load balancer lands on (its /healthz names it). */
async function servedBy(): Promise<string> {
  const r = await get(`${LB}/healthz`);
  return (JSON.parse(r.body) as { instance?: string }).instance ?? "";
}

test.serial("a shadow promoted by the runner's path serves live traffic in place: same pid, no failed request, no reload, next up a no-op", async (t) => {
  const s = await testStack("it-warm-promotion", config);
  try {
    await s.stack.up({ onOutput: (o) => s.log.push(o) });
    const pm2 = path.join(s.stateDir, "pm2");
    const socket = path.join(s.stateDir, "haproxy", "orders", "admin.sock");
    const shadowPid = (await supervisor.describe(pm2, "orders-shadow-host-2"))?.pid ?? 0;
    t.true(shadowPid > 0, "the shadow runs under the supervisor");
    t.true(pidsListening(PORT).includes(shadowPid), "and listens on its address");
    const worker = /^Pid: (\d+)$/m.exec(await adminCommand(socket, "show info"))?.[1];

    // Client traffic (30 % writes) through the load balancer the whole time: fast path and `up`. The
    // clients run in their own process: the inline `up` holds this one's event loop on a busy machine.
    const ac = new AbortController();
    const load = runLoadProcess({ target: LB, rps: 40, durationSec: 600, writeRatio: 0.3, seed: 12 }, ac.signal);
    await new Promise((r) => setTimeout(r, 2000));
    const spec = await preflight(s.stack);
    const changes: Change[] = [
      { kind: "promote", service: "orders", rule: "scaling", priority: "scale-up", reason: "test: scale-up", instance: "orders-shadow-host-2", host: "host-2", replaces: null },
      { kind: "setShadows", service: "orders", rule: "scaling", priority: "scale-up", reason: "test: keep one understudy", from: 0, to: 1, avoid: [] },
    ];
    const t0 = Date.now();
    const fast = await localRouter(ROOT, s.name).beforeUp(spec, changes);
    t.log(fast.done.join("; "));
    let firstServedMs = -1;
    for (let i = 0; i < 200 && firstServedMs < 0; i++) {
      if ((await servedBy()) === "orders-live-host-2") firstServedMs = Date.now() - t0;
      else await new Promise((r) => setTimeout(r, 10));
    }
    t.true(firstServedMs >= 0, "the promoted instance serves client requests through the load balancer before the up");
    t.log(`decision → promoted shadow serving through the load balancer: ${firstServedMs} ms`);
    const upLog: string[] = [];
    const applied = await applyChanges(s.stack, spec, changes, (o) => upLog.push(o));
    t.true(applied.applied, applied.skipped ?? "");
    t.log(`up: ${applied.upMs} ms, ${applied.summary}`);
    // The instance's resource is updated in place (the alias from its shadow name), never replaced.
    const text = upLog.join("");
    t.log(text.split("\n").filter((l) => l.includes("host-2 ")).map((l) => l.trim()).join("\n"));
    t.regex(text, /orders-live-host-2 updating/, "the promoted instance's resource is updated");
    t.notRegex(text, /orders-(live|shadow)-host-2 (creat|replac|delet)/, "and neither replaced, created nor deleted");

    await new Promise((r) => setTimeout(r, 2000));
    ac.abort();
    const result = await load;
    t.true(result.requests > 40 * 10, `${result.requests} requests`);
    t.is(result.failed, 0, `no client request failed during the promotion (${JSON.stringify(result.byKind)})`);

    // The same process, now live: under the supervisor by its original name, listening, answering as live.
    const after = await supervisor.describe(pm2, "orders-shadow-host-2");
    t.is(after?.pid, shadowPid, "no restart: the promoted instance is the shadow's process");
    t.is(after?.restarts, 0);
    t.true(pidsListening(PORT).includes(shadowPid));
    const direct = JSON.parse((await get(`http://127.0.1.2:${PORT}/healthz`)).body) as { role: string; instance: string };
    t.deepEqual([direct.role, direct.instance], ["live", "orders-live-host-2"]);
    t.is(/^Pid: (\d+)$/m.exec(await adminCommand(socket, "show info"))?.[1], worker, "HAProxy was not reloaded");

    // Consistency: a write through the promoted instance lands on the primary, where the other live reads it.
    const created = await get(`http://127.0.1.2:${PORT}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": `warm-${Date.now()}` },
      body: JSON.stringify({ customer: "warm", amount: 12.5 }),
    });
    t.is(created.status, 201, created.body);
    const id = (JSON.parse(created.body) as { id: number }).id;
    t.is((await get(`http://127.0.1.1:${PORT}/orders/${id}`)).status, 200, "written to the primary, not to the old replica");

    // The declared state followed: a preview and an up change nothing, and the process is the same.
    const preview = await s.stack.preview({ onOutput: (o) => s.log.push(o) });
    const changed = Object.entries(preview.changeSummary).filter(([k, n]) => k !== "same" && n > 0);
    t.deepEqual(changed, [], "a preview after the promotion shows no change");
    const again = await s.stack.up({ onOutput: (o) => s.log.push(o) });
    t.deepEqual(Object.keys(again.summary.resourceChanges ?? {}).filter((k) => k !== "same"), [], "an up after it is a no-op");
    t.is((await supervisor.describe(pm2, "orders-shadow-host-2"))?.pid, shadowPid);
    // The new understudy took host-3, fed by replication.
    t.is((JSON.parse((await get(`http://127.0.1.3:${PORT}/healthz`)).body) as { role: string }).role, "shadow");
  } catch (e) {
    t.log(s.log.slice(-40).join(""));
    throw e;
  } finally {
    await s.destroy();
  }
});
