// Per-stack pieces on docker: a network per config host, the backbone network, the images, and a
// Prometheus container that scrapes every instance and load balancer by container name.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { placeService, StackSpec } from "../../config";
import { STATS_PORT } from "./haproxyConfig";
import { DockerNames, labels } from "./names";
import { DockerSettings } from "./settings";

export interface DockerFoundation {
  networks: Map<string, docker.Network>;
  backbone: docker.Network;
  /** The image of a reference, pulled once per stack whoever asks first. */
  image(ref: string, parent: pulumi.Resource): docker.RemoteImage;
}

/** Static targets: every instance the stack places, and every load balancer's exporter. */
export function prometheusConfig(spec: StackSpec, n: DockerNames): string {
  const jobs = spec.services.flatMap((svc) => {
    const p = placeService(svc, spec.hosts);
    const instances = (role: "live" | "shadow", hosts: string[]) =>
      hosts.map((host) => ({ targets: [`${n.instance(svc, role, host)}:${svc.port}`], labels: { service: svc.name, role, host, instance: n.instance(svc, role, host) } }));
    return [...instances("live", p.live), ...instances("shadow", p.shadows), { targets: [`${n.loadBalancer(svc)}:${STATS_PORT}`], labels: { service: svc.name, role: "loadbalancer" } }];
  });
  const s = spec.prometheus.scrapeIntervalSeconds;
  return JSON.stringify({ global: { scrape_interval: `${s}s`, scrape_timeout: `${s}s` }, scrape_configs: [{ job_name: "understudy", static_configs: jobs }] }, null, 2);
}

export function createFoundation(s: DockerSettings, spec: StackSpec, n: DockerNames, parent: pulumi.Resource): DockerFoundation {
  const opts = { parent };
  const networks = new Map(spec.hosts.map((h) => [h, new docker.Network(`network-${h}`, { name: n.hostNetwork(h), labels: labels({ "understudy.host": h }) }, opts)]));
  const backbone = new docker.Network("backbone", { name: n.backbone }, opts);
  const images = new Map<string, docker.RemoteImage>();
  const image = (ref: string, owner: pulumi.Resource): docker.RemoteImage => {
    const known = images.get(ref) ?? new docker.RemoteImage(`image-${ref}`, { name: ref, keepLocally: true }, { parent: owner });
    images.set(ref, known);
    return known;
  };
  const data = new docker.Volume("prometheus-data", { name: `${n.prefix}-prometheus` }, opts);
  new docker.Container(
    "prometheus",
    {
      name: `${n.prefix}-prometheus`,
      image: image(s.prometheusImage, parent).imageId,
      command: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", `--storage.tsdb.retention.time=${spec.prometheus.retentionHours}h`, "--web.enable-lifecycle"],
      // JSON is YAML: the file Prometheus reads.
      uploads: [{ file: "/etc/prometheus/prometheus.yml", content: prometheusConfig(spec, n) }],
      volumes: [{ volumeName: data.name, containerPath: "/prometheus" }],
      ports: [{ internal: 9090, external: spec.prometheus.port, ip: s.publishAddress }],
      networksAdvanced: [{ name: backbone.name }],
      restart: "unless-stopped",
      labels: labels({ "understudy.role": "prometheus" }),
    },
    opts,
  );
  return { networks, backbone, image };
}
