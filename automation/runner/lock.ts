// One runner per stack. On one machine: a pid file (a lock whose process is gone, a crash, is taken
// over). In a cluster: a coordination.k8s.io Lease (./lease.ts), since runner pods share no disk
// they could see each other's pids on.
import * as fs from "node:fs";
import * as path from "node:path";
import { acquireLease, ApiAccess, inClusterAccess } from "./lease";

export function acquire(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, "runner.pid");
  if (fs.existsSync(f)) {
    const pid = Number(fs.readFileSync(f, "utf8"));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`another runner (pid ${pid}) is working on this stack; stop it first (${f})`);
  }
  fs.writeFileSync(f, String(process.pid));
  return () => fs.rmSync(f, { force: true });
}

export const LOCK_KINDS = ["pid", "lease"] as const;

export interface LockOptions {
  kind: string;
  stack: string;
  /** The runner's folder (the pid file's home). */
  dir: string;
  /** Lease name (default understudy-runner-<stack>). */
  lease?: string;
  leaseSeconds?: number;
  /** Who the runner is to the API server (default: the pod's service account). */
  access?: ApiAccess;
}

export interface RunnerLock {
  /** Why the runner no longer holds the lock (lease taken over), or undefined while it does. */
  lost(): string | undefined;
  release(): Promise<void>;
}

export async function takeLock(o: LockOptions): Promise<RunnerLock> {
  if (o.kind === "pid") {
    const release = acquire(o.dir);
    return { lost: () => undefined, release: async () => release() };
  }
  if (o.kind !== "lease") throw new Error(`--lock must be one of ${LOCK_KINDS.join(", ")}, got '${o.kind}'`);
  const held = await acquireLease({
    access: o.access ?? inClusterAccess(),
    name: o.lease ?? `understudy-runner-${o.stack}`,
    durationSec: o.leaseSeconds,
    onLost: (reason) => console.error(`runner: ${reason}; stopping after this tick`),
  });
  return { lost: () => held.lost, release: () => held.release() };
}
