/** The crash-recovery test's stack: `replicas` live instances of the tiny fixture service. */
export function crashConfig(replicas: number): Record<string, unknown> {
  return {
    "understudy:hosts": ["host-1", "host-2", "host-3", "host-4"],
    "understudy:loadBalancer": { port: 33080, statsPort: 33404, checkIntervalMs: 500 },
    "understudy:prometheus": { port: 33090, scrapeIntervalSeconds: 1 },
    "understudy:services": { tiny: { command: "node dist/test/fixtures/tiny-service.js", port: 33100, replicas, shadows: { count: 1, hosts: ["host-4"] } } },
  };
}
