// One HAProxy per service on the local platform, in master-worker mode under the supervisor.
// Config changes reload it hitlessly (SIGUSR2; listeners are handed over, no connection refused).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancerSpec } from "../../config";
import { Endpoint, LoadBalancerArgs, LoadBalancerHandle } from "../../platform";
import { LocalContext, logDir, supervisorHome, targetsDir, PROCESS_PATH } from "./context";
import { digest } from "./digest";
import { renderHaproxyConfig, routingEntries, ServerLine } from "./haproxyConfig";
import { requireBinary } from "./impl/exec";
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
  const mirrorScript = path.join(c.root, "components", "platforms", "local", "haproxy", "mirror.lua");
  const all = [...args.live, ...args.shadows];
  const content = pulumi.all(all.map((e) => e.address)).apply((addrs) => {
    const byInstance = new Map(all.map((e, i) => [e.instance, addrs[i]]));
    const addr = (e: Endpoint): string => byInstance.get(e.instance) ?? "";
    return renderHaproxyConfig({ service: svc, lb, live: lines(args.live, addr), shadows: lines(args.shadows, addr), adminSocket, routingMap: mapPath, mirrorScript });
  });
  // Weights and mirroring change through the runtime API; only the structure below reloads HAProxy.
  const routing = new LocalResource("haproxyRouting", `${svc.name}-lb-routing`, { adminSocket, mapPath, entries: routingEntries(svc) }, { parent, dependsOn });
  const cfg = new LocalResource("file", `${svc.name}-lb-config`, { path: cfgPath, content }, { parent, dependsOn });
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
      reloadToken: content.apply(digest),
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
