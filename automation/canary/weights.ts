// Applying a shadow weight on the local platform: HAProxy's runtime API, no reload. The routing map
// file is rewritten too, so a restarted HAProxy keeps the weight.
import * as fs from "node:fs";
import * as path from "node:path";
import { adminCommand } from "../../components/platforms/local/impl/haproxyRouting";

export interface WeightSetter {
  setShadowWeight(percent: number): Promise<void>;
}

export function localWeights(stateDir: string, service: string): WeightSetter {
  const dir = path.join(stateDir, "haproxy", service);
  const socket = path.join(dir, "admin.sock");
  const map = path.join(dir, "routing.map");
  return {
    async setShadowWeight(percent: number): Promise<void> {
      if (!fs.existsSync(socket)) throw new Error(`no load balancer for '${service}' at ${socket}: is the stack up?`);
      const answer = await adminCommand(socket, `set map ${map} shadow_weight ${percent}`);
      if (answer !== "") throw new Error(`HAProxy refused shadow_weight=${percent}: ${answer}`);
      const text = fs.readFileSync(map, "utf8").replace(/^shadow_weight .*$/m, `shadow_weight ${percent}`);
      fs.writeFileSync(map, text);
    },
  };
}
