// After a crash mid-`up`: the file backend keeps a lock whose owner is gone, and the state may hold
// pending operations. Detect both, clear them, refresh, and carry on.
import * as fs from "node:fs";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (dead, not yet reaped by its parent) still answers kill 0 but holds nothing.
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

/** Locks left by processes that no longer exist (file backend: .pulumi/locks/<org>/<project>/<stack>/*.json). */
export function staleLocks(backendDir: string, stackName: string): string[] {
  const root = path.join(backendDir, ".pulumi", "locks");
  if (!fs.existsSync(root)) return [];
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".json") && path.basename(path.dirname(p)) === stackName) {
        const lock = JSON.parse(fs.readFileSync(p, "utf8")) as { pid?: number };
        if (lock.pid !== undefined && !alive(lock.pid)) found.push(p);
      }
    }
  };
  walk(root);
  return found;
}

export async function recover(stack: Stack, backendDir: string): Promise<string[]> {
  const notes: string[] = [];
  for (const lock of staleLocks(backendDir, stack.name)) {
    fs.rmSync(lock);
    fs.rmSync(`${lock}.attrs`, { force: true });
    notes.push(`removed a stale lock left by a dead process (${path.basename(lock)})`);
  }
  const deployment = (await stack.exportStack()).deployment as { pending_operations?: unknown[] };
  const pending = deployment.pending_operations?.length ?? 0;
  if (pending > 0) {
    await stack.refresh({ clearPendingCreates: true, onOutput: () => undefined });
    notes.push(`cleared ${pending} pending operation(s) of an interrupted update and refreshed the stack`);
  }
  return notes;
}
