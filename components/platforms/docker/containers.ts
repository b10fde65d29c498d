// Live and shadow instances on docker: a container per instance on its host's network (and the
// backbone), with the service's image, its command as arguments, and a health check.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint, InstanceGroup, InstanceGroupArgs } from "../../platform";
import { DockerFoundation } from "./foundation";
import { DockerNames, imageOf, LABEL_HOST, LABEL_INSTANCE, LABEL_ROLE, LABEL_SERVICE, labels } from "./names";
import { DockerSettings } from "./settings";

function network(f: DockerFoundation, host: string): docker.Network {
  const net = f.networks.get(host);
  if (!net) throw new Error(`docker platform: host '${host}' has no network`);
  return net;
}

export function createContainers(s: DockerSettings, f: DockerFoundation, n: DockerNames, args: InstanceGroupArgs, parent: pulumi.Resource): InstanceGroup {
  const svc = args.service;
  const image = f.image(imageOf(s, svc), parent);
  const endpoints: Endpoint[] = [];
  for (const host of args.hosts) {
    const name = n.instance(svc, args.role, host);
    const plain = { ...svc.env, ...(args.role === "shadow" ? svc.shadows.env : {}), HOST: "0.0.0.0", PORT: String(svc.port), UNDERSTUDY_ROLE: args.role, UNDERSTUDY_SERVICE: svc.name, UNDERSTUDY_INSTANCE: name, UNDERSTUDY_HOST: host, CPU_COST_MS: String(svc.cpuCostMs) };
    const envs = Object.entries(plain).map(([k, v]) => `${k}=${v}`);
    const databaseUrl = args.databaseUrls?.[host] ?? args.databaseUrl;
    const probe = `http://127.0.0.1:${svc.port}${svc.healthPath}`;
    new docker.Container(
      name,
      {
        name,
        image: image.imageId,
        command: svc.command.trim().split(/\s+/),
        // The whole list is secret when it holds the store's URL (password included).
        envs: databaseUrl ? pulumi.secret(databaseUrl.apply((u) => [...envs, `DATABASE_URL=${u}`])) : envs,
        labels: labels({ [LABEL_SERVICE]: svc.name, [LABEL_ROLE]: args.role, [LABEL_HOST]: host, [LABEL_INSTANCE]: name }),
        networksAdvanced: [{ name: network(f, host).name, aliases: [name] }, { name: f.backbone.name, aliases: [name] }],
        healthcheck: { tests: ["CMD-SHELL", `wget -qO- ${probe} >/dev/null 2>&1 || curl -fsS ${probe} >/dev/null`], interval: "5s", timeout: "2s", retries: 3 },
        restart: "unless-stopped",
      },
      { parent, dependsOn: args.after, additionalSecretOutputs: databaseUrl ? ["envs"] : [] },
    );
    endpoints.push({ instance: name, role: args.role, host, address: pulumi.output(name), port: svc.port });
  }
  return { endpoints };
}
