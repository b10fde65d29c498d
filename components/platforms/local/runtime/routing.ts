// Applying routing values on the local platform: HAProxy's runtime API (`set map`), no reload. The
// routing map file is rewritten too, so a restarted HAProxy keeps what was set.
import * as fs from "node:fs";
import * as path from "node:path";
import { adminCommand } from "../impl/haproxyRouting";

export type RoutingKey = "shadow_weight" | "mirror_percent" | "mirror_body_cap" | "mirror_max_inflight";

export interface Routing {
  setShadowWeight(percent: number): Promise<void>;
  set(key: RoutingKey, value: number): Promise<void>;
  /**
   * Takes a live instance out of rotation ("maint": requests in flight finish, no new ones arrive) or
   * back in ("ready"). An instance HAProxy does not know is left alone.
   */
  setLiveServer(instance: string, state: "maint" | "ready"): Promise<void>;
  /**
   * Any server line ("backend/server"), e.g. a standing slot; false when the running HAProxy has no
   * such server (its configuration predates the slot).
   */
  setServer(server: string, state: "maint" | "ready"): Promise<boolean>;
}

export function localWeights(stateDir: string, service: string): Routing {
  const dir = path.join(stateDir, "haproxy", service);
  const socket = path.join(dir, "admin.sock");
  const map = path.join(dir, "routing.map");
  const set = async (key: RoutingKey, value: number): Promise<void> => {
    if (!fs.existsSync(socket)) throw new Error(`no load balancer for '${service}' at ${socket}: is the stack up?`);
    const answer = await adminCommand(socket, `set map ${map} ${key} ${value}`);
    if (answer !== "") throw new Error(`HAProxy refused ${key}=${value}: ${answer}`);
    fs.writeFileSync(map, fs.readFileSync(map, "utf8").replace(new RegExp(`^${key} .*$`, "m"), `${key} ${value}`));
  };
  const setLiveServer = async (instance: string, state: "maint" | "ready"): Promise<void> => {
    if (!fs.existsSync(socket)) throw new Error(`no load balancer for '${service}' at ${socket}: is the stack up?`);
    const answer = await adminCommand(socket, `set server be_${service}_live/${instance} state ${state}`);
    if (answer !== "" && answer !== "No such server.") throw new Error(`HAProxy refused to set ${instance} ${state}: ${answer}`);
  };
  const setServer = async (server: string, state: "maint" | "ready"): Promise<boolean> => {
    if (!fs.existsSync(socket)) throw new Error(`no load balancer for '${service}' at ${socket}: is the stack up?`);
    const answer = await adminCommand(socket, `set server ${server} state ${state}`);
    if (answer === "No such server.") return false;
    if (answer !== "") throw new Error(`HAProxy refused to set ${server} ${state}: ${answer}`);
    return true;
  };
  return { set, setShadowWeight: (percent) => set("shadow_weight", percent), setLiveServer, setServer };
}
