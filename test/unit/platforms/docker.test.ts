// The docker platform under Pulumi mocks, from the shared stack config: a network per host, a
// container per instance, the HAProxy container's weights, checks and mirroring, postgres
// containers with logical replication, Prometheus targets, secrets.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import test from "ava";
import { HAPROXY_DIR } from "../../../components/platforms/docker/haproxyConfig";
import { policyViolations, at, byType, isSecretInput, list, one, plain, recordResources, settle, stackConfig, str } from "./mockStack";

const registered = recordResources("dock");
const raw = stackConfig("docker", { images: { orders: "shop/orders:1.2.3" } });
pulumi.runtime.setAllConfig(raw);

const { understudyProgram } = require("../../../components/program") as typeof import("../../../components/program");
const { createPlatform } = require("../../../components/platforms") as typeof import("../../../components/platforms");
const { parseStackConfig } = require("../../../components/config") as typeof import("../../../components/config");

type Inputs = Record<string, unknown>;
const containers = (): Inputs[] => byType(registered, "docker:index/container:Container").map((r) => r.inputs);
const named = (name: string): Inputs => containers().find((c) => c.name === name) ?? {};
const label = (c: Inputs, k: string): string | undefined => {
  const l = list(c.labels).find((x) => at(x, "label") === k);
  return l === undefined ? undefined : str(at(l, "value"));
};
const upload = (c: Inputs, file: string): string => str(at(list(c.uploads).find((u) => str(at(u, "file")).endsWith(file)), "content"));

test.before(async () => {
  understudyProgram(process.cwd(), raw);
  await settle();
});

test.serial("a network per host, plus the backbone", (t) => {
  t.deepEqual(byType(registered, "docker:index/network:Network").map((r) => str(r.inputs.name)).sort(), [
    "understudy-dock-backbone",
    "understudy-dock-host-1",
    "understudy-dock-host-2",
    "understudy-dock-host-3",
    "understudy-dock-host-4",
  ]);
});

test.serial("a container per instance on its host's network; shadows never on a live host", (t) => {
  const inst = containers().filter((c) => label(c, "understudy.service") === "orders" && ["live", "shadow"].includes(label(c, "understudy.role") ?? ""));
  const hosts = (role: string) => inst.filter((c) => label(c, "understudy.role") === role).map((c) => label(c, "understudy.host"));
  t.deepEqual(hosts("live"), ["host-1", "host-2"]);
  t.deepEqual(hosts("shadow"), ["host-3", "host-4"]);
  const shadow = named("understudy-dock-orders-shadow-host-3");
  t.deepEqual(list(shadow.networksAdvanced).map((n) => at(n, "name")), ["understudy-dock-host-3", "understudy-dock-backbone"]);
  t.deepEqual(shadow.command, ["node", "dist/demo/service/main.js"]);
  t.regex(JSON.stringify(at(shadow, "healthcheck.tests")), /\/healthz/);
  // The environment holds the store's URL, so the whole list is a secret.
  t.true(isSecretInput(shadow.envs));
  t.true(list(plain(shadow.envs)).includes("UNDERSTUDY_ROLE=shadow"));
  t.is(one(registered, "docker:index/remoteImage:RemoteImage", "image-shop/orders:1.2.3").inputs.name, "shop/orders:1.2.3");
  t.is(byType(registered, "docker:index/remoteImage:RemoteImage").filter((r) => r.inputs.name === "shop/orders:1.2.3").length, 1);
});

test.serial("the HAProxy container: weights in its map, health-checked servers, the Lua mirror", (t) => {
  const lb = named("understudy-dock-orders-lb");
  // Weights and mirroring are not in the container (a change would replace it): the routing resource
  // applies them through HAProxy's runtime API, by exec in the container.
  t.is(upload(lb, "routing.map"), "");
  const routing = one(registered, "pulumi-nodejs:dynamic/docker:haproxy-routing", "understudy-dock-orders-lb-routing").inputs;
  t.deepEqual(plain(routing.entries), { shadow_weight: 10, mirror_percent: 25, mirror_body_cap: 65536, mirror_max_inflight: 64 });
  t.is(routing.container, "understudy-dock-orders-lb");
  t.is(routing.mapPath, `${HAPROXY_DIR}/routing.map`);
  t.deepEqual(plain(routing.servers), {
    "be_orders_shadow/understudy-dock-orders-shadow-host-3": true,
    "be_orders_live/understudy-dock-orders-shadow-host-3-backup": true,
    "be_orders_shadow/understudy-dock-orders-shadow-host-4": true,
    "be_orders_live/understudy-dock-orders-shadow-host-4-backup": true,
  });
  // The file names every slot without a state: which slots serve is the runtime API's business.
  t.notRegex(upload(lb, "haproxy.cfg"), / disabled$/m);
  t.regex(upload(lb, "haproxy.cfg"), /stats socket ipv4@127\.0\.0\.1:9999 level admin/);
  const { routingCommands } = require("../../../components/platforms/docker/impl/haproxyRouting") as typeof import("../../../components/platforms/docker/impl/haproxyRouting");
  t.deepEqual(routingCommands({ mapPath: "/m", entries: { shadow_weight: 5 }, servers: { "b/off": false, "b/on": true } }), ["set map /m shadow_weight 5", "set server b/on state ready", "set server b/off state maint"]);
  const cfg = upload(lb, "haproxy.cfg");
  t.regex(cfg, /server understudy-dock-orders-live-host-1 understudy-dock-orders-live-host-1:18100/);
  t.regex(cfg, /server understudy-dock-orders-shadow-host-4 understudy-dock-orders-shadow-host-4:18100/);
  t.regex(cfg, /default-server check inter 1000/);
  t.regex(cfg, /http-check send meth GET uri \/healthz/);
  t.regex(cfg, /http-request lua.mirror be_orders_shadow if !live_down !canary/);
  t.regex(upload(lb, "mirror.lua"), /core.register_action\("mirror"/);
  // Shadows are read-only until promoted: writes never take the canary share.
  t.regex(cfg, /set-var\(txn.canary\) bool\(1\) if safe_method /);
  t.regex(cfg, /acl safe_method method GET HEAD/);
  t.deepEqual(list(lb.ports).map((p) => [at(p, "internal"), at(p, "external"), at(p, "ip")]), [[8080, 18080, "127.0.0.1"], [8404, 18404, "127.0.0.1"]]);
});

test.serial("the HAProxy container's configuration is valid for the real haproxy (haproxy -c)", (t) => {
  const lb = named("understudy-dock-orders-lb");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "understudy-dock-haproxy-"));
  try {
    for (const u of list(lb.uploads)) {
      fs.writeFileSync(path.join(dir, path.basename(str(at(u, "file")))), str(at(u, "content")).replaceAll(HAPROXY_DIR, dir));
    }
    const r = spawnSync("haproxy", ["-c", "-f", path.join(dir, "haproxy.cfg")], { encoding: "utf8" });
    t.is(r.status, 0, `${r.stdout}${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial("the store: a postgres container with logical WAL, its password generated and secret", (t) => {
  const pg = named("understudy-dock-orders-store-host-1");
  t.deepEqual(list(pg.command).slice(0, 3), ["postgres", "-c", "wal_level=logical"]);
  t.true(isSecretInput(pg.envs));
  t.true(list(plain(pg.envs)).includes("POSTGRES_PASSWORD=generated-pw"));
  t.is(pg.wait, true);
  t.is(byType(registered, "pulumi-nodejs:dynamic/docker:password").length, 1);
});

test.serial("Prometheus scrapes every instance and the load balancer by container name", (t) => {
  const cfg = JSON.parse(upload(named("understudy-dock-prometheus"), "prometheus.yml")) as unknown;
  const targets = list(at(cfg, "scrape_configs.0.static_configs")).map((s) => [at(s, "targets.0"), at(s, "labels.role")]);
  t.deepEqual(targets, [
    ["understudy-dock-orders-live-host-1:18100", "live"],
    ["understudy-dock-orders-live-host-2:18100", "live"],
    ["understudy-dock-orders-shadow-host-3:18100", "shadow"],
    ["understudy-dock-orders-shadow-host-4:18100", "shadow"],
    ["understudy-dock-orders-lb:8404", "loadbalancer"],
  ]);
});

test.serial("replication: schema on every store, a publication, a subscription per replica, then sync standbys", async (t) => {
  const spec = parseStackConfig(raw);
  const svc = spec.services[0];
  const platform = createPlatform({ root: process.cwd(), stack: "dock", spec });
  const parent = new pulumi.ComponentResource("test:index:Replication", "replication-probe", {});
  platform.foundation(spec, parent);
  const primary = platform.store({ service: svc, host: "host-1" }, parent);
  const replicas = ["host-3", "host-4"].map((host) => ({ host, store: platform.store({ service: svc, host }, parent) }));
  const before = registered.length;
  platform.replication({ service: svc, primary, primaryHost: "host-1", replicas, schema: { sql: "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);", tables: ["orders"] } }, parent);
  await settle();
  const steps = registered
    .slice(before)
    .filter((r) => r.type === "docker:index/container:Container" && label(r.inputs, "understudy.replication"))
    .map((r) => r.inputs);
  const step = (name: string): Inputs => steps.find((c) => c.name === `understudy-dock-${name}`) ?? {};
  const sqlOf = (c: Inputs): string => (list(plain(c.envs)).map(str).find((e) => e.startsWith("UNDERSTUDY_SQL=")) ?? "").slice("UNDERSTUDY_SQL=".length);
  t.deepEqual(steps.map((c) => str(c.name)).sort(), [
    "understudy-dock-orders-publication",
    "understudy-dock-orders-schema-host-1",
    "understudy-dock-orders-schema-host-3",
    "understudy-dock-orders-schema-host-4",
    "understudy-dock-orders-standbys",
    "understudy-dock-orders-subscription-host-3",
    "understudy-dock-orders-subscription-host-4",
  ]);
  for (const c of steps) {
    t.true(isSecretInput(c.envs), `${str(c.name)} keeps PGPASSWORD secret`);
    t.is(c.mustRun, false);
    t.is(c.attach, true);
  }
  t.regex(sqlOf(step("orders-publication")), /CREATE PUBLICATION orders_pub FOR TABLE "orders"/);
  t.regex(sqlOf(step("orders-subscription-host-3")), /CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I', 'orders_sub_host_3', 'host=understudy-dock-orders-store-host-1 .*password=generated-pw/);
  t.regex(sqlOf(step("orders-standbys")), /synchronous_standby_names = 'ANY 1 \("orders_sub_host_3", "orders_sub_host_4"\)'/);
});

// Last (the tests run in order): by then the replication test has declared the stream the program does not (yet).
test.serial("the generated stack passes every policy of the pack", async (t) => {
  await settle();
  t.deepEqual(policyViolations(registered, [{ name: "orders", consistency: "strong", mode: "sync", stateful: true }]), []);
});
