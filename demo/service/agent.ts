// HAProxy agent-check responder: the load balancer asks every second and this answers weight 0 % while
// the process burns more CPU than the threshold, 100 % once it has cooled down. The data plane
// itself moves load off a saturated instance, with no runtime tick in the loop.
import * as net from "node:net";

export interface CpuAgentOptions {
  host: string;
  port: number;
  /** Fraction of one core (0–1) above which the instance asks to be drained. */
  threshold: number;
  /** Cool-down margin: restored only below threshold − hysteresis, so it does not flap. */
  hysteresis?: number;
  sampleMs?: number;
}

/** Pure: the next agent state from the CPU share of the last sample. */
export function nextState(draining: boolean, cpu: number, threshold: number, hysteresis: number): boolean {
  if (!draining) return cpu > threshold;
  return cpu >= threshold - hysteresis;
}

export function startCpuAgent(o: CpuAgentOptions): { close(): void; draining(): boolean } {
  let draining = false;
  let last = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    const used = process.cpuUsage(last);
    const cpu = (used.user + used.system) / (Number(now - lastAt) / 1000);
    draining = nextState(draining, cpu, o.threshold, o.hysteresis ?? 0.15);
    last = process.cpuUsage();
    lastAt = now;
  }, o.sampleMs ?? 1000);
  timer.unref();
  const server = net.createServer((sock) => {
    // HAProxy may reset the connection once it has its answer; that is no error of ours.
    sock.on("error", () => undefined);
    // Weights, not admin states: "ready" would also cancel a MAINT the runner set through the runtime
    // API to take this instance out of rotation before stopping it (HAProxy's agent protocol: "ready"
    // clears DRAIN and MAINT), and clients would reach a process on its way out. Weight 0 takes new
    // requests off it like "drain" does; 100 % puts it back; an operator's MAINT stays.
    sock.end(draining ? "0%\n" : "100%\n");
  });
  server.listen(o.port, o.host);
  return {
    close: () => {
      clearInterval(timer);
      server.close();
    },
    draining: () => draining,
  };
}
