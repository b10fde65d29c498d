// Per-stack pieces of the local platform: the supervisor daemon and Prometheus with file-based
// service discovery (every instance group and load balancer drops a targets file in one folder).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { StackSpec } from "../../config";
import { LocalContext, logDir, supervisorHome, targetsDir } from "./context";
import { digest } from "./digest";
import { requireBinary } from "./impl/exec";
import { LocalResource } from "./provider";

export interface Foundation {
  supervisor: LocalResource;
  prometheus: LocalResource;
  prometheusUrl: pulumi.Output<string>;
}

export function prometheusConfig(spec: StackSpec, targets: string, rules: string): string {
  const s = spec.prometheus.scrapeIntervalSeconds;
  return [
    "global:",
    `  scrape_interval: ${s}s`,
    `  scrape_timeout: ${s}s`,
    `  evaluation_interval: ${s}s`,
    // understudy's recording and alert rules (monitoring/understudy.rules.yml).
    "rule_files:",
    `  - '${rules}'`,
    "scrape_configs:",
    "  - job_name: understudy",
    "    file_sd_configs:",
    `      - files: ['${path.join(targets, "*.json")}']`,
    `        refresh_interval: ${s}s`,
    "  - job_name: prometheus",
    "    static_configs:",
    `      - targets: ['127.0.0.1:${spec.prometheus.port}']`,
    "",
  ].join("\n");
}

export function createFoundation(c: LocalContext, spec: StackSpec, parent: pulumi.Resource): Foundation {
  // The stack's state folder goes last on destroy: every other local resource depends on it.
  const root = new LocalResource("directory", "state", { path: c.stateDir }, { parent });
  const supervisor = new LocalResource("supervisorDaemon", "supervisor", { home: supervisorHome(c) }, { parent, dependsOn: [root] });
  const opts = { parent, dependsOn: [supervisor] };
  const promDir = path.join(c.stateDir, "prometheus");
  const content = prometheusConfig(spec, targetsDir(c), path.join(c.root, "monitoring", "understudy.rules.yml"));
  const config = new LocalResource("file", "prometheus-config", { path: path.join(promDir, "prometheus.yml"), content }, opts);
  const data = new LocalResource("directory", "prometheus-data", { path: path.join(promDir, "data") }, opts);
  const prometheus = new LocalResource(
    "process",
    "prometheus",
    {
      supervisorHome: supervisorHome(c),
      name: "prometheus",
      argv: [
        requireBinary("prometheus", "prometheus"),
        `--config.file=${path.join(promDir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(promDir, "data")}`,
        `--storage.tsdb.retention.time=${spec.prometheus.retentionHours}h`,
        `--web.listen-address=127.0.0.1:${spec.prometheus.port}`,
        "--web.enable-lifecycle",
      ],
      cwd: promDir,
      env: {},
      secretEnv: {},
      address: "127.0.0.1",
      port: spec.prometheus.port,
      healthPath: "/-/ready",
      logDir: logDir(c),
      // prometheus.yml changes are applied by SIGHUP, without losing the TSDB head.
      reloadToken: digest(content),
      reloadSignal: "SIGHUP",
    },
    { parent, dependsOn: [supervisor, config, data] },
  );
  return { supervisor, prometheus, prometheusUrl: pulumi.output(`http://127.0.0.1:${spec.prometheus.port}`) };
}
