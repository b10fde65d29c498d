// The values HAProxy routes by (shadow weight, mirror percent and caps) live in a map file. Changing
// them writes the file (what a restart will read) and applies them to the running HAProxy through
// its runtime API (`set map`): no reload, no dropped connection. Which standing shadow slots hold a
// running shadow is applied the same way (`set server ... state ready|maint`); the configuration
// file records it for a restart.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { renderRoutingMap } from "../../../haproxy/config";

export interface RoutingInputs {
  adminSocket: string;
  mapPath: string;
  entries: Record<string, number>;
  /** "backend/server" → enabled; absent on stacks created before standing slots existed. */
  servers?: Record<string, boolean>;
}


/** One runtime-API command; resolves with HAProxy's answer. */
export function adminCommand(socket: string, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(socket);
    let out = "";
    c.setTimeout(timeoutMs, () => {
      c.destroy();
      reject(new Error(`HAProxy runtime API at ${socket} did not answer '${command}' within ${timeoutMs} ms`));
    });
    c.on("connect", () => c.end(`${command}\n`));
    c.on("data", (d) => (out += d.toString()));
    c.on("end", () => resolve(out.trim()));
    c.on("error", reject);
  });
}

async function applyLive(i: RoutingInputs): Promise<void> {
  if (!fs.existsSync(i.adminSocket)) return; // not started yet: it reads the file when it starts
  for (const [k, v] of Object.entries(i.entries)) {
    const answer = await adminCommand(i.adminSocket, `set map ${i.mapPath} ${k} ${v}`);
    if (answer !== "") {
      // `set map` only changes existing keys; a new key is added instead.
      const added = await adminCommand(i.adminSocket, `add map ${i.mapPath} ${k} ${v}`);
      if (added !== "") throw new Error(`HAProxy refused routing value ${k}=${v}: ${added}`);
    }
  }
  // Enable first, then disable: a scale change never leaves fewer slots serving than either side.
  const servers = Object.entries(i.servers ?? {}).sort(([, a], [, b]) => Number(b) - Number(a));
  for (const [server, enabled] of servers) {
    const answer = await adminCommand(i.adminSocket, `set server ${server} state ${enabled ? "ready" : "maint"}`);
    // A slot the running HAProxy does not have yet belongs to a structural change (live instances
    // moved): the new configuration file carries its state and the reload in this same update loads it.
    if (answer === "No such server.") continue;
    if (answer !== "") throw new Error(`HAProxy refused to ${enabled ? "enable" : "disable"} ${server}: ${answer}`);
  }
}

function writeFile(i: RoutingInputs): void {
  fs.mkdirSync(path.dirname(i.mapPath), { recursive: true });
  const tmp = `${i.mapPath}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, renderRoutingMap(i.entries));
  fs.renameSync(tmp, i.mapPath);
}

export async function create(i: RoutingInputs): Promise<{ id: string; outs: RoutingInputs }> {
  writeFile(i);
  await applyLive(i);
  return { id: i.mapPath, outs: i };
}

export async function update(_id: string, _olds: RoutingInputs, news: RoutingInputs): Promise<{ outs: RoutingInputs }> {
  writeFile(news);
  await applyLive(news);
  return { outs: news };
}

export async function remove(_id: string, props: RoutingInputs): Promise<void> {
  fs.rmSync(props.mapPath, { force: true });
}
