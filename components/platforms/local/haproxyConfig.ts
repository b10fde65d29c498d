// The local platform's HAProxy: the shared configuration (components/haproxy) on loopback, with a
// runtime-API socket and an agent check per live instance. Pure, like the shared renderer.
import { LoadBalancerSpec, ServiceSpec } from "../../config";
import { MIRROR_SCRIPT, renderHaproxy, ServerLine } from "../../haproxy/config";

export interface HaproxyArgs {
  service: ServiceSpec;
  lb: LoadBalancerSpec;
  /** A standing slot per host; `enabled` where a live instance runs. */
  live: ServerLine[];
  /** A standing slot per host; `enabled` where a shadow runs. */
  shadows: ServerLine[];
  adminSocket: string;
  routingMap: string;
}

/** The agent-check port of an instance: next to its service port, on the same address. */
export function agentPort(port: number): number {
  return port + 1;
}

export function renderHaproxyConfig(a: HaproxyArgs): string {
  const inter = a.lb.checkIntervalMs;
  return renderHaproxy({
    service: a.service,
    lb: a.lb,
    // Live servers also ask the instance's agent (drain above the CPU threshold, ready once recovered).
    live: a.live.map((x) => ({ ...x, options: `agent-check agent-port ${agentPort(x.port)} agent-inter ${inter}` })),
    shadows: a.shadows,
    global: [`  stats socket ${a.adminSocket} mode 600 level admin expose-fd listeners`, "  stats timeout 30s"],
    preamble: [],
    frontendBind: `127.0.0.1:${a.service.frontendPort}`,
    statsBind: `127.0.0.1:${a.service.statsPort}`,
    routingMap: a.routingMap,
    mirrorScript: MIRROR_SCRIPT,
    // A refused connection on real traffic marks the server down at once, before the health check
    // notices: the retry then skips it.
    serverOptions: "observe layer4 error-limit 1 on-error mark-down",
  });
}

/**
 * The text whose change needs a reload: the configuration with every slot enabled. Which slots are
 * enabled is applied through the runtime API instead (and written to the file for a restart).
 */
export function reloadStructure(a: HaproxyArgs): string {
  const all = (xs: ServerLine[]): ServerLine[] => xs.map((x) => ({ ...x, enabled: true }));
  return renderHaproxyConfig({ ...a, live: all(a.live), shadows: all(a.shadows) });
}
