/**
 * The crash-recovery test's stack: `replicas` live instances of the tiny fixture service. Each
 * starts listening 3 s late, so a create stays in flight long after its process appears: the kill
 * lands mid-update however busy the machine is (without it, an `up` that finished between the
 * test's poll and the kill left recovery nothing to mend).
 */
export function crashConfig(replicas: number): Record<string, unknown> {
  return {
    "understudy:hosts": ["host-1", "host-2", "host-3", "host-4"],
    "understudy:loadBalancer": { port: 25080, statsPort: 25404, checkIntervalMs: 500 },
    "understudy:prometheus": { port: 25090, scrapeIntervalSeconds: 1 },
    "understudy:services": { tiny: { command: "node dist/test/fixtures/tiny-service.js", port: 25100, replicas, env: { START_DELAY_MS: "3000" }, shadows: { count: 1, hosts: ["host-4"] } } },
  };
}
