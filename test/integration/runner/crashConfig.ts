/** The crash-recovery test's stack: `replicas` live instances of the tiny fixture service. */
export function crashConfig(replicas: number): Record<string, unknown> {
  return {
    "understudy:hosts": ["host-1", "host-2", "host-3", "host-4"],
    "understudy:loadBalancer": { port: 25080, statsPort: 25404, checkIntervalMs: 500 },
    "understudy:prometheus": { port: 25090, scrapeIntervalSeconds: 1 },
    "understudy:services": { tiny: { command: "node dist/test/fixtures/tiny-service.js", port: 25100, replicas, shadows: { count: 1, hosts: ["host-4"] } } },
  };
}
