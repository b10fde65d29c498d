// Warm promotion on the local platform: the running shadow becomes a live instance without a restart.
// Its role (and with it its store: the service switches to the primary named in PRIMARY_DATABASE_URL,
// schema checked and pool warmed first) changes through the service's admin endpoint; then HAProxy's
// runtime API enables the host's standing live slot and takes the shadow slots out. The `up` that
// follows finds the process already in its new role: the process resource is updated in place (the
// same call again, a no-op) and the slots' states are what it declares, so nothing restarts or reloads.
import { hostAddress, StackSpec } from "../../../config";
import { backupName } from "../../../haproxy/config";
import { instanceName, roleBody, ROLE_PATH } from "../instances";
import { localWeights } from "./routing";

export interface InPlace {
  /** What was done, for the tick's record. */
  done: string[];
  /** Puts back the role and the routing (the `up` that should have made them durable failed). */
  undo: () => Promise<void>;
}

async function postRole(url: string, body: Record<string, string>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new Error(`role switch through ${url} failed: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`role switch through ${url} refused (${res.status}): ${text}`);
}

/**
 * Promotes the shadow of `service` on `host` in place. Throws (and changes nothing) when the instance
 * cannot become live — its store switch failed, say: consistency first, the shadow stays a shadow.
 */
export async function promoteInPlace(stateDir: string, spec: StackSpec, service: string, host: string): Promise<InPlace> {
  const svc = spec.services.find((s) => s.name === service);
  if (!svc) throw new Error(`the stack has no service '${service}'`);
  const url = `http://${hostAddress(spec.hosts, host)}:${svc.port}${ROLE_PATH}`;
  const live = instanceName(service, "live", host);
  const shadow = instanceName(service, "shadow", host);
  // Role first: until the live slot is enabled the instance only gets what a shadow gets (mirrored
  // copies, canary reads), which a live instance serves as well; the reverse order would send client
  // writes to a shadow that refuses them.
  await postRole(url, roleBody(service, "live", host));
  const done = [`${service}: ${shadow} is live in place (role via ${ROLE_PATH}, store switched to the primary)`];
  const routing = localWeights(stateDir, service);
  const liveSlot = `be_${service}_live/${live}`;
  const shadowSlots = [`be_${service}_shadow/${shadow}`, `be_${service}_live/${backupName(shadow)}`];
  const routed = await routing.setServer(liveSlot, "ready");
  if (routed) {
    for (const s of shadowSlots) await routing.setServer(s, "maint");
    done.push(`${service}: ${live} in rotation via the runtime API`);
  } else {
    // A load balancer configured before standing live slots existed: the `up` reloads it with one.
    done.push(`${service}: HAProxy has no slot ${liveSlot} yet; the up adds it`);
  }
  return {
    done,
    undo: async () => {
      if (routed) {
        for (const s of shadowSlots) await routing.setServer(s, "ready");
        await routing.setServer(liveSlot, "maint");
      }
      await postRole(url, roleBody(service, "shadow", host));
    },
  };
}
