// The platform registry builds a runtime for every platform; where a part cannot work, it refuses
// with what to do instead of failing later in a tick.
import test from "ava";
import type { Stack } from "@pulumi/pulumi/automation";
import { createRuntime } from "../../../components/platforms";
import { MetricsSource } from "../../../automation/metrics/source";

const noMetrics: MetricsSource = { query: async () => [], range: async () => [] };
const stackWith = (config: Record<string, string>): Stack =>
  ({ getAllConfig: async () => Object.fromEntries(Object.entries(config).map(([k, value]) => [k, { value, secret: false }])) }) as unknown as Stack;

test("docker: an Observer over the HAProxy frontend, and a Promoter that refuses and says why", async (t) => {
  const rt = await createRuntime("docker", { root: "/tmp", stack: stackWith({}), metrics: noMetrics });
  t.regex(rt.observer.loadQuery("orders"), /haproxy_frontend_http_requests_total\{proxy="fe_orders"/);
  const e = await t.throwsAsync(rt.promoter.promote({ service: "orders" }));
  t.regex(e?.message ?? "", /promotion of 'orders' refused: the docker platform has no store promotion/);
});

test("aws: the runtime needs the stack's region and names the key", async (t) => {
  const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION };
  delete process.env.AWS_REGION;
  delete process.env.AWS_DEFAULT_REGION;
  try {
    const e = await t.throwsAsync(createRuntime("aws", { root: "/tmp", stack: stackWith({ "understudy:aws": JSON.stringify({ vpcId: "v", amiId: "a" }) }), metrics: noMetrics }));
    t.regex(e?.message ?? "", /aws:region/);
  } finally {
    if (saved.r !== undefined) process.env.AWS_REGION = saved.r;
    if (saved.d !== undefined) process.env.AWS_DEFAULT_REGION = saved.d;
  }
});
