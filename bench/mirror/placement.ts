// Where bench:mirror's processes may run. "shared": every process on every core (today's single
// machine). "isolated": the live host — live instances, HAProxy and the primary store, with every
// process they forked — alone on one core; on the other, what runs on other hosts in a deployment:
// the shadow's host (its instance and its PostgreSQL), monitoring (Prometheus), the clients and the
// operator (this benchmark's own process, which runs the load generator and the Pulumi engine), and
// any other work on the machine (builds, other benchmarks).
// Done with cgroup v1 cpusets: a process forked later (a PostgreSQL backend) stays in its parent's.
import * as fs from "node:fs";
import * as supervisor from "../../components/platforms/local/impl/supervisor";

export type Placement = "shared" | "isolated";

const ROOT = "/sys/fs/cgroup/cpuset";

function children(): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // The parent pid is the 4th field, after "(comm)" which may itself hold spaces.
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(ppid, [...(out.get(ppid) ?? []), Number(d)]);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function tree(pid: number, kids: Map<number, number[]>): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) ?? []));
  return out;
}

function move(group: string, pids: number[], tolerate: string[] = ["ESRCH"]): number {
  let moved = 0;
  for (const p of pids) {
    try {
      fs.writeFileSync(`${group}/cgroup.procs`, String(p));
      moved++;
    } catch (e) {
      if (!tolerate.includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
    }
  }
  return moved;
}

/** Every user-space process not in `mine`: not pid 1 (this machine's supervisor), not kernel threads. */
function others(mine: Set<number>, kids: Map<number, number[]>): number[] {
  const kernel = new Set(tree(2, kids));
  return [...kids.values()].flat().filter((p) => p > 2 && !mine.has(p) && !kernel.has(p));
}

export interface Placer {
  /** Applies a placement to the stack's processes as they are now; returns pids per side. */
  apply(p: Placement): Promise<{ live: number; shadow: number; other: number }>;
  /** Everything back on every core; the cpusets removed. */
  close(): void;
}

/** Which host a supervisor app runs on: the live host, the shadow's host, or elsewhere (monitoring). */
export type Side = "live" | "shadow" | "other";

/** `sideOf(app)`: where each supervisor app belongs. */
export function cpusetPlacer(pm2Home: string, sideOf: (app: string) => Side, cores = { live: "0", shadow: "1" }): Placer {
  if (!fs.existsSync(`${ROOT}/cgroup.procs`)) throw new Error(`no cgroup v1 cpuset hierarchy at ${ROOT}: the isolated placement needs one`);
  const groups = { live: `${ROOT}/understudy-bench-live`, shadow: `${ROOT}/understudy-bench-shadow`, other: `${ROOT}/understudy-bench-other` };
  const coreOf = { ...cores, other: cores.shadow };
  for (const [side, dir] of Object.entries(groups) as ["live" | "shadow" | "other", string][]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(`${dir}/cpuset.cpus`, coreOf[side]);
    fs.writeFileSync(`${dir}/cpuset.mems`, fs.readFileSync(`${ROOT}/cpuset.mems`, "utf8").trim());
  }
  return {
    async apply(p) {
      const apps = await supervisor.list(pm2Home);
      const kids = children();
      const pidsOf = (side: Side) => apps.filter((a) => a.pid > 0 && sideOf(a.name) === side).flatMap((a) => tree(a.pid, kids));
      const shadowPids = pidsOf("shadow");
      const livePids = pidsOf("live");
      // Everything else goes with the shadow's host: apps of other hosts (Prometheus), this process and
      // the load generator it starts later (which inherits its cpuset), other work on the machine. A
      // process that exited, or one the kernel will not move, stays where it is.
      const rest = others(new Set([...shadowPids, ...livePids]), kids);
      if (p === "shared") return { live: move(ROOT, livePids), shadow: move(ROOT, shadowPids), other: move(ROOT, rest, ["ESRCH", "EINVAL", "EPERM"]) };
      return { live: move(groups.live, livePids), shadow: move(groups.shadow, shadowPids), other: move(groups.other, rest, ["ESRCH", "EINVAL", "EPERM"]) };
    },
    close() {
      for (const dir of Object.values(groups)) {
        if (!fs.existsSync(dir)) continue;
        const left = fs.readFileSync(`${dir}/cgroup.procs`, "utf8").split("\n").filter(Boolean).map(Number);
        move(ROOT, left);
        fs.rmdirSync(dir);
      }
    },
  };
}
