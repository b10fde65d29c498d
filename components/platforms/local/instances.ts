// Live and shadow instances on the local platform: one supervised process per host, bound to the
// host's own loopback address, registered with Prometheus through a targets file.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { hostAddress } from "../../config";
import { Endpoint, InstanceGroup, InstanceGroupArgs } from "../../platform";
import { resolveCommand } from "./command";
import { agentPort } from "./haproxyConfig";
import { LocalContext, logDir, supervisorHome, targetsDir, PROCESS_PATH } from "./context";
import { LocalResource } from "./provider";

export function instanceName(service: string, role: string, host: string): string {
  return `${service}-${role}-${host}`;
}

/** The service's admin endpoint that changes an instance's role in place (demo/service). */
export const ROLE_PATH = "/admin/role";

/** Where an instance keeps a role changed in place; one per service and host, whatever the role. */
export function roleFile(c: LocalContext, service: string, host: string): string {
  return path.join(c.stateDir, "roles", `${service}-${host}.json`);
}

/** What the role switch posts: the role and the instance's name in it. */
export function roleBody(service: string, role: string, host: string): Record<string, string> {
  return { role, instance: instanceName(service, role, host) };
}

export function createInstances(c: LocalContext, args: InstanceGroupArgs, parent: pulumi.Resource, dependsOn: pulumi.Resource[]): InstanceGroup {
  const svc = args.service;
  const argv = resolveCommand(svc.command, c.root);
  const endpoints: Endpoint[] = [];
  const procs: LocalResource[] = [];
  for (const host of args.hosts) {
    const name = instanceName(svc.name, args.role, host);
    const address = hostAddress(c.hosts, host);
    const url = args.databaseUrls?.[host] ?? args.databaseUrl;
    const primary = args.databaseUrl;
    const secretEnv = url && primary ? pulumi.secret(pulumi.all([url, primary]).apply(([u, p]) => ({ DATABASE_URL: u, PRIMARY_DATABASE_URL: p }))) : {};
    // The same service on the same host in its other role is this resource under another name: a
    // promotion is then an update in place (the running shadow becomes live), not a new process.
    const aliases = args.otherRoleParent ? [{ name: instanceName(svc.name, args.role === "live" ? "shadow" : "live", host), parent: args.otherRoleParent }] : [];
    const proc = new LocalResource(
      "process",
      name,
      {
        supervisorHome: supervisorHome(c),
        name,
        argv,
        cwd: c.root,
        env: {
          ...svc.env,
          ...(args.role === "shadow" ? svc.shadows.env : {}),
          PATH: PROCESS_PATH,
          HOST: address,
          PORT: String(svc.port),
          UNDERSTUDY_ROLE: args.role,
          UNDERSTUDY_SERVICE: svc.name,
          UNDERSTUDY_INSTANCE: name,
          UNDERSTUDY_HOST: host,
          CPU_COST_MS: String(svc.cpuCostMs),
          AGENT_PORT: String(agentPort(svc.port)),
          UNDERSTUDY_ROLE_FILE: roleFile(c, svc.name, host),
        },
        // A shadow reads its own replica store (fed by the replication stream); live reads the primary.
        // Both know the primary: a shadow promoted in place switches to it.
        secretEnv,
        address,
        port: svc.port,
        healthPath: svc.healthPath,
        logDir: logDir(c),
        succeeds: [instanceName(svc.name, args.role === "live" ? "shadow" : "live", host)],
        // Promotion in place: role and instance name through the admin endpoint, the store switched by
        // the service itself. A demotion restarts: the replica it must read is created by the same `up`.
        roleSwitch: {
          path: ROLE_PATH,
          body: roleBody(svc.name, args.role, host),
          file: roleFile(c, svc.name, host),
          env: ["UNDERSTUDY_ROLE", "UNDERSTUDY_INSTANCE"],
          secretEnv: ["DATABASE_URL"],
          inPlace: args.role === "live",
        },
      },
      { parent, dependsOn: [...dependsOn, ...args.after], aliases },
      ["secretEnv"],
    );
    procs.push(proc);
    // Known once the process runs, so whatever routes to it (the load balancer) comes after it.
    endpoints.push({ instance: name, role: args.role, host, address: proc.id.apply(() => address), port: svc.port });
  }
  const targets = args.hosts.map((host) => ({
    targets: [`${hostAddress(c.hosts, host)}:${svc.port}`],
    labels: { service: svc.name, role: args.role, host, instance: instanceName(svc.name, args.role, host) },
  }));
  new LocalResource(
    "file",
    `${svc.name}-${args.role}-targets`,
    { path: path.join(targetsDir(c), `${svc.name}-${args.role}.json`), content: JSON.stringify(targets, null, 2) + "\n" },
    { parent, dependsOn: procs },
  );
  return { endpoints };
}
