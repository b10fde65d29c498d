import test from "ava";
import { parseStackConfig } from "../../../components/config";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderRoutingMap, routingEntries, slotServers } from "../../../components/haproxy/config";
import { reloadStructure, renderHaproxyConfig } from "../../../components/platforms/local/haproxyConfig";

const spec = parseStackConfig({
  "understudy:services": { orders: { command: "x", port: 18100, replicas: 2, shadows: { count: 1, weightPercent: 25 } } },
});
const args = {
  service: spec.services[0],
  lb: spec.loadBalancer,
  live: [
    { name: "orders-live-host-1", address: "127.0.1.1", port: 18100 },
    { name: "orders-live-host-2", address: "127.0.1.2", port: 18100 },
  ],
  shadows: [
    { name: "orders-shadow-host-3", address: "127.0.1.3", port: 18100, enabled: true },
    { name: "orders-shadow-host-4", address: "127.0.1.4", port: 18100, enabled: false },
  ],
  adminSocket: "/s/admin.sock",
  routingMap: "/s/routing.map",
};

test("live and shadow servers sit in their own backends with HTTP health checks", (t) => {
  const cfg = renderHaproxyConfig(args);
  t.regex(cfg, /backend be_orders_live[\s\S]*server orders-live-host-1 127\.0\.1\.1:18100[\s\S]*server orders-live-host-2 127\.0\.1\.2:18100/);
  t.regex(cfg, /backend be_orders_shadow[\s\S]*server orders-shadow-host-3 127\.0\.1\.3:18100/);
  t.is(cfg.match(/http-check send meth GET uri \/healthz/g)?.length, 2);
});

test("retries go to another server, shadows take over when every live instance is down", (t) => {
  const cfg = renderHaproxyConfig(args);
  // Redispatch on the last retry only: earlier ones wait out the connect timeout, so a dead last
  // server is marked down before the final retry picks the shadows (see the config's comment).
  t.regex(cfg, /option redispatch\n/);
  t.regex(cfg, /retries 4\n/);
  t.regex(cfg, /retry-on conn-failure empty-response/);
  t.regex(cfg, /use_backend be_orders_shadow if shadows_up live_down/);
  t.regex(cfg, /acl live_down nbsrv\(be_orders_live\) eq 0/);
});

test("the shadow weight lives in a runtime-updatable map, the exporter on the stats port", (t) => {
  t.deepEqual(routingEntries(spec.services[0]), { shadow_weight: 25, mirror_percent: 0, mirror_body_cap: 65536, mirror_max_inflight: 64 });
  const cfg = renderHaproxyConfig(args);
  t.regex(cfg, /map_str_int\(\/s\/routing\.map,0\)/);
  t.regex(cfg, /bind 127\.0\.0\.1:18404\n\s+http-request use-service prometheus-exporter/);
});

test("rendering is deterministic (an unchanged stack previews no change)", (t) => {
  t.is(renderHaproxyConfig(args), renderHaproxyConfig(structuredClone(args)));
});

test("mirroring copies live-bound requests through the Lua action, never a copy of a copy", (t) => {
  const cfg = renderHaproxyConfig(args);
  t.regex(cfg, /lua-load \/\S+\/components\/haproxy\/mirror\.lua\n/);
  t.regex(cfg, /http-request lua\.mirror be_orders_shadow if !live_down !canary !\{ req\.hdr\(x-understudy-mirror\) -m found \}/);
  t.regex(cfg, /set-var\(txn\.mirror_pct\) str\(mirror_percent\),map_str_int/);
});

test("a standing slot per shadow host: the one without a shadow starts disabled, in both backends", (t) => {
  const cfg = renderHaproxyConfig(args);
  t.regex(cfg, /server orders-shadow-host-3 127\.0\.1\.3:18100 weight 100\n/);
  t.regex(cfg, /server orders-shadow-host-4 127\.0\.1\.4:18100 weight 100 disabled\n/);
  t.regex(cfg, /server orders-shadow-host-3-backup 127\.0\.1\.3:18100 backup\n/);
  t.regex(cfg, /server orders-shadow-host-4-backup 127\.0\.1\.4:18100 backup disabled\n/);
  t.deepEqual(slotServers("orders", args.shadows), {
    "be_orders_shadow/orders-shadow-host-3": true,
    "be_orders_live/orders-shadow-host-3-backup": true,
    "be_orders_shadow/orders-shadow-host-4": false,
    "be_orders_live/orders-shadow-host-4-backup": false,
  });
});

test("a shadow count change is no structural change (no reload); a new live instance is", (t) => {
  const scaled = { ...args, shadows: args.shadows.map((x) => ({ ...x, enabled: true })) };
  t.not(renderHaproxyConfig(scaled), renderHaproxyConfig(args));
  t.is(reloadStructure(scaled), reloadStructure(args));
  const grown = { ...args, live: [...args.live, { name: "orders-live-host-5", address: "127.0.1.5", port: 18100 }] };
  t.not(reloadStructure(grown), reloadStructure(args));
});

test("reads only take the canary share, drawn once per request so routing and mirroring agree", (t) => {
  const cfg = renderHaproxyConfig(args);
  t.regex(cfg, /set-var\(txn\.canary\) bool\(1\) if safe_method \{ rand\(100\),sub\(txn\.shadow_weight\) lt 0 \}/);
  t.regex(cfg, /acl safe_method method GET HEAD/);
  t.regex(cfg, /use_backend be_orders_shadow if shadows_up canary\n/);
});

/** `haproxy -c` on the configuration rendered from `a`, with real files for its map and socket. */
function haproxyCheck(a: typeof args): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "understudy-haproxy-"));
  try {
    const map = path.join(dir, "routing.map");
    fs.writeFileSync(map, renderRoutingMap(routingEntries(spec.services[0])));
    const cfg = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(cfg, renderHaproxyConfig({ ...a, adminSocket: path.join(dir, "admin.sock"), routingMap: map }));
    const r = spawnSync("haproxy", ["-c", "-f", cfg], { encoding: "utf8" });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the rendered configuration is valid for the real haproxy (haproxy -c)", (t) => {
  const r = haproxyCheck(args);
  t.is(r.status, 0, r.output);
});

test("loadBalancer.threads sets HAProxy's nbthread; unset leaves HAProxy's default (one per CPU)", (t) => {
  t.notRegex(renderHaproxyConfig(args), /nbthread/);
  const one = parseStackConfig({ "understudy:loadBalancer": { threads: 1 }, "understudy:services": { orders: { command: "x", port: 18100 } } });
  const cfg = renderHaproxyConfig({ ...args, lb: one.loadBalancer });
  t.regex(cfg, /^global\n[\s\S]*\n {2}nbthread 1\n[\s\S]*\ndefaults\n/);
  const r = haproxyCheck({ ...args, lb: one.loadBalancer });
  t.is(r.status, 0, r.output);
  t.throws(() => parseStackConfig({ "understudy:loadBalancer": { threads: -1 }, "understudy:services": { orders: { command: "x", port: 18100 } } }), { message: /loadBalancer\.threads/ });
});
