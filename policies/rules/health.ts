// Rule health-checks: every pool is health-checked (probes, container health check, ELB check, a
// check path on the load balancer's server lines), so a dead instance leaves the rotation at once.
import { Facts } from "../facts";
import { Violation } from "../model";

export const HEALTH = "health-checks";

export function healthChecks(f: Facts): Violation[] {
  const pools = f.instances
    .filter((i) => !i.healthChecked)
    .map((i) => ({
      rule: HEALTH,
      resource: i.r,
      problem: `${i.role} instances of '${i.service}' have no health check`,
      fix: {
        kubernetes: "give every container a readinessProbe and a livenessProbe on the service's health path",
        aws: "set the Auto Scaling group's healthCheckType to ELB",
        docker: "give the container a healthcheck on the service's health path",
        local: "give the process a healthPath",
      }[i.platform],
    }));
  const checks = f.healthChecks
    .filter((h) => !h.enabled)
    .map((h) => ({ rule: HEALTH, resource: h.r, problem: "the target group does not check its targets' health", fix: "enable healthCheck with the service's health path" }));
  return [...pools, ...checks];
}
