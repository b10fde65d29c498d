// Faults for the consistency runs on the local platform.
import { execFileSync } from "node:child_process";
import * as net from "node:net";
import * as supervisor from "../../components/platforms/local/impl/supervisor";

/**
 * kill -9 a store's postmaster and every process of its cluster, and keep its address:port
 * swallowed by a listener that never answers, as a dead host would: the supervisor's restarts fail
 * to bind, and clients hang until their timeouts. Resolves with a release function.
 */
export async function killStore(pm2Home: string, app: string, address: string, port: number): Promise<() => Promise<void>> {
  const d = await supervisor.describe(pm2Home, app);
  if (!d?.pid) throw new Error(`${app} is not running`);
  const children = execFileSync("ps", ["-o", "pid=", "--ppid", String(d.pid)], { encoding: "utf8" })
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((p) => p > 0);
  for (const pid of [d.pid, ...children]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
  });
  for (let i = 0; ; i++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, address, () => resolve());
      });
      break;
    } catch (e) {
      // The port is released when the postmaster's socket closes; a restart may race us.
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
}
