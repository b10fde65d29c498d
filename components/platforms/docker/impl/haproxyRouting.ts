// The routing values of one HAProxy container (shadow weight, mirror percent and caps, which standing
// shadow slots serve), changed without replacing the container: through `exec` in it (the Engine API),
// the map file is rewritten (what a restart of the container reads) and the running HAProxy is told
// through its runtime API on the container's own loopback (`set map`, `set server`). No port of the
// runtime API is published; whoever can exec in the container may change it, as with the engine itself.
import { engineAt, exec } from "./engine";

export interface DockerRoutingInputs {
  dockerHost: string;
  container: string;
  /** The container's id: a replaced container (a new id) gets its routing again. */
  containerId: string;
  mapPath: string;
  adminPort: number;
  entries: Record<string, number>;
  /** "backend/server" → enabled. */
  servers: Record<string, boolean>;
}

/**
 * Runs in the container's shell (bash: /dev/tcp reaches the runtime API without socat). Arguments:
 * map path, admin port, map content, then the commands. `set map` only changes an existing key; a
 * missing one is added. A slot the running HAProxy lacks belongs to a structural change: tolerated.
 */
const SCRIPT = [
  'set -eu; map=$1; port=$2; printf "%s" "$3" > "$map.tmp"; mv "$map.tmp" "$map"; shift 3',
  'api() { exec 3<>"/dev/tcp/127.0.0.1/$port"; printf "%s\\n" "$1" >&3; cat <&3; exec 3<&-; }',
  'for c in "$@"; do',
  '  r=$(api "$c")',
  '  case "$c" in "set map "*) [ -z "$r" ] || r=$(api "add map ${c#set map }");; esac',
  '  [ -z "$r" ] || [ "$r" = "No such server." ] || { echo "HAProxy refused \'$c\': $r" >&2; exit 1; }',
  "done",
].join("\n");

export function routingCommands(i: Pick<DockerRoutingInputs, "mapPath" | "entries" | "servers">): string[] {
  const maps = Object.entries(i.entries).map(([k, v]) => `set map ${i.mapPath} ${k} ${v}`);
  // Enable first, then disable: a scale change never leaves fewer slots serving than either side.
  const servers = Object.entries(i.servers)
    .sort(([, a], [, b]) => Number(b) - Number(a))
    .map(([server, on]) => `set server ${server} state ${on ? "ready" : "maint"}`);
  return [...maps, ...servers];
}

async function apply(i: DockerRoutingInputs): Promise<void> {
  const content = Object.entries(i.entries).map(([k, v]) => `${k} ${v}\n`).join("");
  // As root: the official image runs HAProxy as an unprivileged user, and the map file is the upload's (root's).
  const r = await exec(engineAt(i.dockerHost), i.container, ["bash", "-c", SCRIPT, "routing", i.mapPath, String(i.adminPort), content, ...routingCommands(i)], "root");
  if (r.exitCode !== 0) throw new Error(`routing of ${i.container} not applied (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`);
}

export async function create(i: DockerRoutingInputs): Promise<{ id: string; outs: DockerRoutingInputs }> {
  await apply(i);
  return { id: `${i.container}:routing`, outs: i };
}

export async function update(_id: string, _olds: DockerRoutingInputs, news: DockerRoutingInputs): Promise<{ outs: DockerRoutingInputs }> {
  await apply(news);
  return { outs: news };
}

/** The container goes with the stack; nothing outlives it. */
export async function remove(): Promise<void> {
  return Promise.resolve();
}
