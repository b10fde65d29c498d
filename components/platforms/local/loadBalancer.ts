// One HAProxy per service on the local platform, in master-worker mode under the supervisor.
// Structural config changes reload it hitlessly (SIGUSR2; listeners are handed over). Weights, the
// mirror and the shadow count change through the runtime API without a reload: every host a shadow
// may use has a standing server slot, enabled while a shadow runs there.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { hostAddress, LoadBalancerSpec } from "../../config";
import { LoadBalancerArgs, LoadBalancerHandle } from "../../platform";
import { LocalContext, logDir, supervisorHome, targetsDir, PROCESS_PATH } from "./context";
import { digest } from "./digest";
import { routingEntries, ServerLine, slotServers } from "../../haproxy/config";
import { reloadStructure, renderHaproxyConfig } from "./haproxyConfig";
import { requireBinary } from "./impl/exec";
import { instanceName } from "./instances";
import { LocalResource } from "./provider";

export function createLoadBalancer(c: LocalContext, lb: LoadBalancerSpec, args: LoadBalancerArgs, parent: pulumi.Resource, dependsOn: pulumi.Resource[]): LoadBalancerHandle {
  const svc = args.service;
  const dir = path.join(c.stateDir, "haproxy", svc.name);
  const cfgPath = path.join(dir, "haproxy.cfg");
  const mapPath = path.join(dir, "routing.map");
  const adminSocket = path.join(dir, "admin.sock");
  // Every host has a standing slot in each role, enabled where an instance of that role runs: a role
  // change (a promotion in place, a demotion) is then `set server … state` through the runtime API,
  // never a reload. The slot list changes only with the stack's hosts or the service's port.
  const liveHosts = new Set(args.live.map((e) => e.host));
  const shadowHosts = new Set(args.shadows.map((e) => e.host));
  const slot = (role: "live" | "shadow", host: string, running: Set<string>): ServerLine => ({
    name: instanceName(svc.name, role, host),
    address: hostAddress(c.hosts, host),
    port: svc.port,
    enabled: running.has(host),
  });
  const liveSlots = c.hosts.map((h) => slot("live", h, liveHosts));
  const slots = c.hosts.map((h) => slot("shadow", h, shadowHosts));
  // Resolved once every instance runs: a slot is enabled after its instance started (or changed role),
  // and an instance is stopped (a delete, which Pulumi runs last) after its slot was disabled.
  const haproxy = pulumi.all([...args.live, ...args.shadows].map((e) => e.address)).apply(() => {
    return { service: svc, lb, live: liveSlots, shadows: slots, adminSocket, routingMap: mapPath };
  });
  const content = haproxy.apply(renderHaproxyConfig);
  const servers = haproxy.apply(() => ({
    ...Object.fromEntries(liveSlots.map((x) => [`be_${svc.name}_live/${x.name}`, x.enabled !== false])),
    ...slotServers(svc.name, slots),
  }));
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
