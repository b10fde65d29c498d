// One HAProxy container per service on docker, on the backbone network, published on the Docker
// host. A config change replaces the container (uploads are fixed at creation): a short blip.
import * as fs from "node:fs";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancerSpec } from "../../config";
import { LoadBalancerArgs, LoadBalancerHandle } from "../../platform";
import { DockerFoundation } from "./foundation";
import { MIRROR_SCRIPT, renderRoutingMap, routingEntries } from "../../haproxy/config";
import { FRONTEND_PORT, HAPROXY_DIR, renderHaproxyConfig, STATS_PORT } from "./haproxyConfig";
import { DockerNames, LABEL_ROLE, LABEL_SERVICE, labels } from "./names";
import { DockerSettings } from "./settings";

export function createLoadBalancer(s: DockerSettings, f: DockerFoundation, n: DockerNames, lb: LoadBalancerSpec, args: LoadBalancerArgs, parent: pulumi.Resource): LoadBalancerHandle {
  const svc = args.service;
  const line = (e: LoadBalancerArgs["live"][number]) => ({ name: e.instance, address: e.instance, port: e.port });
  const config = renderHaproxyConfig({ service: svc, lb, live: args.live.map(line), shadows: args.shadows.map(line) });
  const name = n.loadBalancer(svc);
  new docker.Container(
    name,
    {
      name,
      image: f.image(s.haproxyImage, parent).imageId,
      uploads: [
        { file: `${HAPROXY_DIR}/haproxy.cfg`, content: config },
        { file: `${HAPROXY_DIR}/routing.map`, content: renderRoutingMap(routingEntries(svc)) },
        { file: `${HAPROXY_DIR}/mirror.lua`, content: fs.readFileSync(MIRROR_SCRIPT, "utf8") },
      ],
      ports: [
        { internal: FRONTEND_PORT, external: svc.frontendPort, ip: s.publishAddress },
        { internal: STATS_PORT, external: svc.statsPort, ip: s.publishAddress },
      ],
      networksAdvanced: [{ name: f.backbone.name, aliases: [name] }],
      labels: labels({ [LABEL_SERVICE]: svc.name, [LABEL_ROLE]: "loadbalancer" }),
      restart: "unless-stopped",
    },
    { parent },
  );
  return { url: pulumi.output(`http://${s.publishAddress}:${svc.frontendPort}`), metricsUrl: pulumi.output(`http://${s.publishAddress}:${svc.statsPort}/metrics`) };
}
