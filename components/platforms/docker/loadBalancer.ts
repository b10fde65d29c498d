// One HAProxy container per service on docker, on the backbone network, published on the Docker host.
// Its configuration names every host a shadow may use (a standing server slot, resolved by Docker's
// DNS), so the file changes only when live instances change (that replaces the container). Weights,
// mirroring and which slots serve change through HAProxy's runtime API (HaproxyRouting): no new
// container, no traffic blip, no metrics gap.
import * as fs from "node:fs";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancerSpec, placeService, StackSpec } from "../../config";
import { LoadBalancerArgs, LoadBalancerHandle } from "../../platform";
import { DockerFoundation } from "./foundation";
import { MIRROR_SCRIPT, routingEntries, ServerLine, slotServers } from "../../haproxy/config";
import { ADMIN_PORT, FRONTEND_PORT, HAPROXY_DIR, renderHaproxyConfig, ROUTING_MAP, STATS_PORT } from "./haproxyConfig";
import { DockerNames, LABEL_ROLE, LABEL_SERVICE, labels } from "./names";
import { HaproxyRouting } from "./routing";
import { DockerSettings } from "./settings";

export function createLoadBalancer(s: DockerSettings, f: DockerFoundation, n: DockerNames, spec: StackSpec, lb: LoadBalancerSpec, args: LoadBalancerArgs, parent: pulumi.Resource): LoadBalancerHandle {
  const svc = args.service;
  const live: ServerLine[] = args.live.map((e) => ({ name: e.instance, address: e.instance, port: e.port }));
  const running = new Set(args.shadows.map((e) => e.host));
  // Every slot starts enabled in the file (a slot without a container has no address and stays down);
  // the runtime API puts the slots without a running shadow into maintenance.
  const slotHosts = placeService(svc, spec.hosts).shadowSlots;
  const slots: ServerLine[] = slotHosts.map((host) => ({ name: n.instance(svc, "shadow", host), address: n.instance(svc, "shadow", host), port: svc.port }));
  const config = renderHaproxyConfig({ service: svc, lb, live, shadows: slots });
  const name = n.loadBalancer(svc);
  const container = new docker.Container(
    name,
    {
      name,
      image: f.image(s.haproxyImage, parent).imageId,
      uploads: [
        { file: `${HAPROXY_DIR}/haproxy.cfg`, content: config },
        // Empty at creation (every value 0: no canary share, no copies); HaproxyRouting writes it.
        { file: ROUTING_MAP, content: "" },
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
  const servers = slotServers(svc.name, slots.map((x, i) => ({ ...x, enabled: running.has(slotHosts[i]) })));
  new HaproxyRouting(
    `${name}-routing`,
    { dockerHost: s.dockerHost, container: name, containerId: container.id, mapPath: ROUTING_MAP, adminPort: ADMIN_PORT, entries: routingEntries(svc), servers },
    { parent, dependsOn: [container] },
  );
  return { url: pulumi.output(`http://${s.publishAddress}:${svc.frontendPort}`), metricsUrl: pulumi.output(`http://${s.publishAddress}:${svc.statsPort}/metrics`) };
}
