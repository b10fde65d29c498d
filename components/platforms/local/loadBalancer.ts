// One HAProxy per service on the local platform, in master-worker mode under the supervisor.
// Structural config changes reload it hitlessly (SIGUSR2; listeners are handed over). Weights, the
// mirror and the shadow count change through the runtime API without a reload: every host a shadow
// may use has a standing server slot, enabled while a shadow runs there.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { hostAddress, LoadBalancerSpec, placeService } from "../../config";
import { Endpoint, LoadBalancerArgs, LoadBalancerHandle } from "../../platform";
import { LocalContext, logDir, supervisorHome, targetsDir, PROCESS_PATH } from "./context";
import { digest } from "./digest";
import { routingEntries, ServerLine, slotServers } from "../../haproxy/config";
import { reloadStructure, renderHaproxyConfig } from "./haproxyConfig";
import { requireBinary } from "./impl/exec";
import { instanceName } from "./instances";
import { LocalResource } from "./provider";

function lines(eps: Endpoint[], address: (e: Endpoint) => string): ServerLine[] {
  return eps.map((e) => ({ name: e.instance, address: address(e), port: e.port }));
}

export function createLoadBalancer(c: LocalContext, lb: LoadBalancerSpec, args: LoadBalancerArgs, parent: pulumi.Resource, dependsOn: pulumi.Resource[]): LoadBalancerHandle {
  const svc = args.service;
  const dir = path.join(c.stateDir, "haproxy", svc.name);
  const cfgPath = path.join(dir, "haproxy.cfg");
  const mapPath = path.join(dir, "routing.map");
  const adminSocket = path.join(dir, "admin.sock");
  const running = new Set(args.shadows.map((e) => e.host));
  const slots: ServerLine[] = placeService(svc, c.hosts).shadowSlots.map((host) => ({
    name: instanceName(svc.name, "shadow", host),
    address: hostAddress(c.hosts, host),
    port: svc.port,
    enabled: running.has(host),
  }));
  // Resolved once every instance runs: a slot is enabled after its shadow started, and the shadow is
  // stopped (a delete, which Pulumi runs last) after its slot was disabled.
  const haproxy = pulumi.all([...args.live, ...args.shadows].map((e) => e.address)).apply((addrs) => {
    const byInstance = new Map(args.live.map((e, i) => [e.instance, addrs[i]]));
    const addr = (e: Endpoint): string => byInstance.get(e.instance) ?? "";
    return { service: svc, lb, live: lines(args.live, addr), shadows: slots, adminSocket, routingMap: mapPath };
  });
  const content = haproxy.apply(renderHaproxyConfig);
  const servers = haproxy.apply(() => slotServers(svc.name, slots));
  // Weights, mirroring and shadow slots change through the runtime API; only the structure reloads.
  const routing = new LocalResource("haproxyRouting", `${svc.name}-lb-routing`, { adminSocket, mapPath, entries: routingEntries(svc), servers }, { parent, dependsOn });
  const cfg = new LocalResource("file", `${svc.name}-lb-config`, { path: cfgPath, content }, { parent, dependsOn: [...dependsOn, routing] });
  const proc = new LocalResource(
    "process",
    `${svc.name}-lb`,
    {
      supervisorHome: supervisorHome(c),
      name: `${svc.name}-lb`,
      argv: [requireBinary("haproxy", "haproxy"), "-W", "-db", "-f", cfgPath],
      cwd: dir,
      env: { PATH: PROCESS_PATH },
      secretEnv: {},
      address: "127.0.0.1",
      port: svc.frontendPort,
      logDir: logDir(c),
      reloadToken: haproxy.apply((h) => digest(reloadStructure(h))),
      reloadSignal: "SIGUSR2",
    },
    { parent, dependsOn: [...dependsOn, routing, cfg] },
  );
  new LocalResource(
    "file",
    `${svc.name}-lb-targets`,
    {
      path: path.join(targetsDir(c), `${svc.name}-lb.json`),
      content:
        JSON.stringify(
          [
            { targets: [`127.0.0.1:${svc.statsPort}`], labels: { service: svc.name, role: "loadbalancer", component: "haproxy" } },
            { targets: [`127.0.0.1:${svc.statsPort}`], labels: { service: svc.name, role: "loadbalancer", component: "mirror", __metrics_path__: "/mirror-metrics" } },
          ],
          null,
          2,
        ) + "\n",
    },
    { parent, dependsOn: [proc] },
  );
  return { url: pulumi.output(`http://127.0.0.1:${svc.frontendPort}`), metricsUrl: pulumi.output(`http://127.0.0.1:${svc.statsPort}/metrics`) };
}
