// The short consistency run (the full one is `npm run bench:consistency`): sync mode, clients
// writing unique keys through the load balancer, a kill -9 of the primary then a graceful
// switchover; after each, no acknowledged write lost, no duplicate, no phantom, writes accepted again.
import test from "ava";
import { runConsistency } from "../../../bench/consistency/run";
import { processesMatching, ROOT, testStack } from "../../helpers/stack";
import { replicationConfig } from "./fixture";

const BASE = 24000;

test.serial("sync mode: kill -9 then switchover lose no acknowledged write", async (t) => {
  const s = await testStack("it-repl-jepsen", replicationConfig(BASE, { mode: "sync", shadows: 2 }));
  try {
    await s.stack.up({ onOutput: (o) => s.log.push(o) });
    const result = await runConsistency({
      root: ROOT,
      stack: s.stack,
      lb: `http://127.0.0.1:${BASE + 80}`,
      service: "orders",
      mode: "sync",
      kinds: ["kill", "switchover"],
      clients: 3,
      ratePerClient: 15,
      log: (l) => t.log(l),
    });
    t.is(result.events.length, 2);
    for (const e of result.events) {
      t.true(e.acknowledged > 0, `${e.kind}: writes were acknowledged`);
      t.is(e.lost, 0, `${e.kind}: lost ${e.lostKeys.join(", ")}`);
      t.is(e.duplicates, 0, e.kind);
      t.is(e.phantoms, 0, `${e.kind}: phantoms ${e.phantomKeys.join(", ")}`);
      t.true(e.rpo.proven && e.rpo.lostWrites === 0, e.rpo.note);
      // Writes come back within the promotion (fence → repointed live instances), plus a health-check interval.
      t.true(e.unavailableMs <= e.promotionMs + 3000, `${e.kind}: unavailable ${e.unavailableMs} ms, promotion ${e.promotionMs} ms`);
    }
    t.deepEqual(result.events.map((e) => e.kind), ["kill", "switchover"]);
    t.deepEqual(result.events.map((e) => `${e.from}→${e.to}`)[0].split("→")[0], "host-1");
  } finally {
    await s.destroy();
  }
  t.deepEqual(processesMatching(".understudy/it-repl-jepsen"), [], "no process left");
});
