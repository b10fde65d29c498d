// One runner per stack in a cluster: a coordination.k8s.io Lease taken before a tick and renewed
// while the runner works, as client-go's leader election does, against the API server with the
// pod's service-account token. A holder that dies stops renewing; once its lease has run out
// (renewTime + leaseDurationSeconds), the next runner takes it over. Writes carry the object's
// resourceVersion, so two contenders never both win: the API server refuses the second (409).
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import { randomBytes } from "node:crypto";

/** How to reach the API server, and as whom. */
export interface ApiAccess {
  /** https://host:port */
  server: string;
  token: string;
  /** PEM of the cluster's CA (in a pod: the service account's ca.crt). */
  ca?: string;
  namespace: string;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The pod's own identity: the mounted service-account token, CA and namespace, the in-cluster address. */
export function inClusterAccess(dir = SA_DIR, env: NodeJS.ProcessEnv = process.env): ApiAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host || !fs.existsSync(`${dir}/token`)) {
    throw new Error(`the lease lock needs a pod's service account (KUBERNETES_SERVICE_HOST and ${dir}/token); outside a cluster use --lock pid`);
  }
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    // Re-read on each start: the kubelet rotates projected tokens.
    token: fs.readFileSync(`${dir}/token`, "utf8").trim(),
    ca: fs.readFileSync(`${dir}/ca.crt`, "utf8"),
    namespace: fs.readFileSync(`${dir}/namespace`, "utf8").trim(),
  };
}

interface LeaseObject {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export class LeaseHeldError extends Error {
  constructor(
    readonly lease: string,
    readonly holder: string,
    readonly expiresAt: Date,
  ) {
    super(`another runner (${holder}) holds the lease ${lease} until ${expiresAt.toISOString()} unless it renews it; this one stops`);
    this.name = "LeaseHeldError";
  }
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

interface Reply {
  status: number;
  body: string;
}

function call(access: ApiAccess, method: string, path: string, body?: unknown): Promise<Reply> {
  const url = new URL(path, access.server);
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: access.ca,
        headers: { authorization: `Bearer ${access.token}`, accept: "application/json", ...(data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {}) },
        timeout: 10_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.href}: no answer within 10 s`)));
    req.on("error", reject);
    req.end(data);
  });
}

function refused(what: string, r: Reply, access: ApiAccess): Error {
  let message = r.body;
  try {
    message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
  } catch {
    // not a Status object: keep the raw text
  }
  const hint = r.status === 403 ? ` (the runner's service account needs get/create/update on leases in namespace ${access.namespace})` : "";
  return new Error(`${what}: the API server answered ${r.status}: ${message}${hint}`);
}

export interface LeaseOptions {
  access: ApiAccess;
  name: string;
  /** Who holds it: unique per process (default: host name, pid and a random suffix). */
  holder?: string;
  /** How long a holder that stopped renewing keeps the lease (default 60 s); renewed every third of it. */
  durationSec?: number;
  /** Told when a renewal finds the lease gone to someone else or cannot reach the API server. */
  onLost?: (reason: string) => void;
}

export interface HeldLease {
  holder: string;
  /** Set once the lease was lost (another holder took it): stop before the next tick. */
  readonly lost: string | undefined;
  /** Stop renewing and give the lease up (holder cleared) so the next runner need not wait. */
  release(): Promise<void>;
}

/**
 * Takes the lease now or throws LeaseHeldError: a runner that cannot have it does not wait (a
 * CronJob's next run tries again). Free, expired or already ours → ours, renewed in the background.
 */
export async function acquireLease(o: LeaseOptions): Promise<HeldLease> {
  const { access, name } = o;
  const holder = o.holder ?? `${os.hostname()}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const durationSec = o.durationSec ?? 60;
  const path = `/apis/coordination.k8s.io/v1/namespaces/${access.namespace}/leases`;
  const now = new Date();
  const mine = (prev?: LeaseObject): LeaseObject => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace: access.namespace, resourceVersion: prev?.metadata.resourceVersion, labels: { "app.kubernetes.io/part-of": "understudy" } },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: durationSec,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (prev?.spec.leaseTransitions ?? 0) + (prev?.spec.holderIdentity && prev.spec.holderIdentity !== holder ? 1 : 0),
    },
  });

  const got = await call(access, "GET", `${path}/${name}`);
  let current: LeaseObject;
  if (got.status === 404) {
    const created = await call(access, "POST", path, mine());
    if (created.status === 409) return acquireLease(o); // another runner created it first: look again
    if (created.status !== 201) throw refused(`creating lease ${name}`, created, access);
    current = JSON.parse(created.body) as LeaseObject;
  } else if (got.status === 200) {
    const prev = JSON.parse(got.body) as LeaseObject;
    const other = prev.spec.holderIdentity;
    const renewed = Date.parse(prev.spec.renewTime ?? prev.spec.acquireTime ?? "") || 0;
    const expiresAt = new Date(renewed + (prev.spec.leaseDurationSeconds ?? 0) * 1000);
    if (other && other !== holder && expiresAt.getTime() > now.getTime()) throw new LeaseHeldError(name, other, expiresAt);
    const taken = await call(access, "PUT", `${path}/${name}`, mine(prev));
    // 409: someone else wrote the lease since we read it (took it over first): theirs.
    if (taken.status === 409) return acquireLease(o);
    if (taken.status !== 200) throw refused(`taking lease ${name}`, taken, access);
    current = JSON.parse(taken.body) as LeaseObject;
  } else {
    throw refused(`reading lease ${name}`, got, access);
  }

  let lost: string | undefined;
  const lose = (reason: string): void => {
    if (lost) return;
    lost = reason;
    clearInterval(timer);
    o.onLost?.(reason);
  };
  // A failed renewal (API server briefly away) is retried at the next interval; the lease counts as
  // lost once it may have run out, or at once when another runner wrote it (409).
  let renewedAt = Date.now();
  const failed = (reason: string): void => {
    if (Date.now() - renewedAt >= durationSec * 1000) lose(`${reason}; the lease may have run out`);
  };
  const renewOnce = async (): Promise<void> => {
    const next = { ...current, spec: { ...current.spec, renewTime: microTime(new Date()) } };
    const r = await call(access, "PUT", `${path}/${name}`, next);
    if (r.status === 200) {
      current = JSON.parse(r.body) as LeaseObject;
      renewedAt = Date.now();
    } else if (r.status === 409) lose(`lease ${name} was taken over by another runner`);
    else failed(refused(`renewing lease ${name}`, r, access).message);
  };
  // One renewal in flight at a time (a slow API server); release waits for it.
  let inflight: Promise<void> | undefined;
  const renew = (): void => {
    if (inflight || lost) return;
    inflight = renewOnce()
      .catch((e: unknown) => failed(`renewing lease ${name}: ${(e as Error).message}`))
      .finally(() => (inflight = undefined));
  };
  const timer = setInterval(renew, (durationSec * 1000) / 3);
  timer.unref();
  return {
    holder,
    get lost() {
      return lost;
    },
    async release() {
      clearInterval(timer);
      await inflight;
      if (lost) return;
      lost = "released";
      const freed = { ...current, spec: { ...current.spec, holderIdentity: undefined, renewTime: microTime(new Date()) } };
      const r = await call(access, "PUT", `${path}/${name}`, freed);
      // Taken over meanwhile: nothing of ours left to give up.
      if (r.status !== 200 && r.status !== 409) throw refused(`releasing lease ${name}`, r, access);
    },
  };
}
