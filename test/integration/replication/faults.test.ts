// Bad input and faults, on a real stack: a broken subscription (apply error) is reported and its
// shadow refused; a shadow store that is down is refused; wrong credentials fail with the server's
// reason and never the password; a promotion that is refused leaves the primary taking writes.
import test from "ava";
import { PromotionRefused } from "../../../automation/replication";
import { promoteService } from "../../../components/platforms/local/runtime/promoter";
import { remove } from "../../../components/platforms/local/impl/supervisor";
import { create as subscribe } from "../../../components/platforms/local/impl/replicationSubscription";
import { processesMatching, ROOT, testStack } from "../../helpers/stack";
import { eventually, postOrder, replicationConfig, sql, topology } from "./fixture";

const BASE = 26000;
const LB = `http://127.0.0.1:${BASE + 80}`;
const PROM = `http://127.0.0.1:${BASE + 90}`;

async function prom(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${PROM}/api/v1/query?query=${encodeURIComponent(q)}`);
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

test.serial("broken subscription reported and refused, a down shadow refused, wrong credentials named", async (t) => {
  const s = await testStack("it-repl-faults", replicationConfig(BASE, { mode: "sync", hosts: 5, shadows: 3 }));
  try {
    await s.stack.up({ onOutput: (o) => s.log.push(o) });
    const topo = await topology(s.stack);
    const [h3, h4] = topo.replicas;

    // A row written behind replication's back on host-4 collides with the primary's next write.
    await sql(h4.url, "INSERT INTO orders (customer, amount, request_id) VALUES ('rogue', 1, 'it-faults-clash')");
    t.is(await postOrder(LB, "it-faults-clash"), 201, "the primary takes the write (host-3 and host-5 confirm it)");
    const errors = await eventually("apply errors on host-4 in Prometheus", async () => {
      const r = await prom('understudy_replication_apply_errors_total{service="orders",host="host-4"} > 0');
      return r.length === 1 ? r : undefined;
    }, 45_000);
    t.true(Number(errors[0].value[1]) > 0);
    const refused = await t.throwsAsync(promoteService({ root: ROOT, stack: s.stack, service: "orders", to: "host-4", repoint: false }), { instanceOf: PromotionRefused });
    t.regex(refused?.message ?? "", /host-4 (is stopped|.s lag cannot be measured).*apply errors so far/);

    // A shadow store that is down: its lag shows it, promotion refuses it.
    await remove(`${s.stateDir}/pm2`, "orders-store-host-5");
    await eventually("host-5 unreachable in the metrics", async () => ((await prom('understudy_replication_state{host="host-5",state="unreachable"} == 1')).length === 1 ? true : undefined));
    const down = await t.throwsAsync(promoteService({ root: ROOT, stack: s.stack, service: "orders", to: "host-5", repoint: false }), { instanceOf: PromotionRefused });
    t.regex(down?.message ?? "", /host-5 is unreachable \(cannot connect to PostgreSQL at 127\.0\.1\.5/);
    // Refusals happen before the fence: the primary still takes writes.
    t.is(await postOrder(LB, "it-faults-after"), 201);

    // Wrong credentials: the server's reason, and the password nowhere in the message.
    const bad = new URL(topo.primary.url);
    bad.password = "not-the-password-xyz";
    const e = await t.throwsAsync(
      subscribe({ url: h3.url, publisherUrl: bad.toString(), subscription: "it_faults_badcreds", publication: "understudy_orders", tables: ["orders"], mode: "async", logFile: "-" }),
    );
    t.regex(e?.message ?? "", /cannot connect to PostgreSQL at 127\.0\.1\.1:26432\/orders: password authentication failed for user "understudy"/);
    t.false((e?.message ?? "").includes("not-the-password-xyz"));
    t.false((e?.message ?? "").includes(new URL(h3.url).password));
  } finally {
    await s.destroy();
  }
  t.deepEqual(processesMatching(".understudy/it-repl-faults"), [], "no process left");
});
