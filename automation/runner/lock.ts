// One runner per stack: a pid file. A lock whose process is gone (a crash) is taken over.
import * as fs from "node:fs";
import * as path from "node:path";

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
