// A small Kubernetes API client for the runtime: the objects it reads and the few it writes
// (fencing annotations, a Subscription's deletion, a promotion Job). Credentials as kubectl finds
// them: `kubernetes:kubeconfig` (a path or the content), KUBECONFIG, ~/.kube/config, or the pod's
// service account when the runner runs in the cluster.
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export interface KubeApi {
  readonly server: string;
  get<T>(apiPath: string): Promise<T>;
  /** undefined when the object does not exist. */
  find<T>(apiPath: string): Promise<T | undefined>;
  post<T>(apiPath: string, body: unknown): Promise<T>;
  /** JSON merge patch (RFC 7386). */
  mergePatch<T>(apiPath: string, body: unknown): Promise<T>;
  delete(apiPath: string): Promise<void>;
}

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  clusters?: { name: string; cluster: { server: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean } }[];
  users?: { name: string; user: { "client-certificate"?: string; "client-certificate-data"?: string; "client-key"?: string; "client-key-data"?: string; token?: string } }[];
}

interface Credentials {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecure?: boolean;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function fileOrData(base: string, file: string | undefined, data: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, "base64");
  if (file) return fs.readFileSync(path.isAbsolute(file) ? file : path.join(base, file));
  return undefined;
}

/** `source`: a kubeconfig's path or its YAML content (as `kubernetes:kubeconfig` allows both). */
export function credentials(source: string | undefined, context?: string): Credentials {
  let text: string | undefined;
  let base = process.cwd();
  const candidate = source ?? process.env.KUBECONFIG?.split(":")[0] ?? path.join(os.homedir(), ".kube", "config");
  if (source && /\n/.test(source)) text = source;
  else if (fs.existsSync(candidate)) {
    text = fs.readFileSync(candidate, "utf8");
    base = path.dirname(candidate);
  } else if (source) throw new Error(`kubeconfig '${source}' does not exist: set kubernetes:kubeconfig to a kubeconfig path or its content`);
  if (text === undefined) {
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new Error("no kubeconfig (kubernetes:kubeconfig, KUBECONFIG or ~/.kube/config) and not running in a cluster");
    return {
      server: `https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT ?? "443"}`,
      ca: fs.readFileSync(path.join(SA_DIR, "ca.crt")),
      // Read per request: projected service-account tokens rotate.
      token: undefined,
    };
  }
  const k = yaml.load(text) as KubeconfigFile;
  const ctxName = context ?? k["current-context"];
  const ctx = k.contexts?.find((c) => c.name === ctxName);
  if (!ctx) throw new Error(`kubeconfig has no context '${ctxName}'`);
  const cluster = k.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster;
  const user = k.users?.find((u) => u.name === ctx.context.user)?.user ?? {};
  if (!cluster) throw new Error(`kubeconfig context '${ctxName}' names cluster '${ctx.context.cluster}', which it does not define`);
  return {
    server: cluster.server,
    ca: fileOrData(base, cluster["certificate-authority"], cluster["certificate-authority-data"]),
    cert: fileOrData(base, user["client-certificate"], user["client-certificate-data"]),
    key: fileOrData(base, user["client-key"], user["client-key-data"]),
    token: user.token,
    insecure: cluster["insecure-skip-tls-verify"],
  };
}

export function kubeApi(c: Credentials, timeoutMs = 15_000): KubeApi {
  const agent = new https.Agent({ ca: c.ca, cert: c.cert, key: c.key, rejectUnauthorized: !c.insecure, keepAlive: true });
  const inCluster = c.token === undefined && c.cert === undefined && fs.existsSync(path.join(SA_DIR, "token"));
  const request = (method: string, apiPath: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const token = c.token ?? (inCluster ? fs.readFileSync(path.join(SA_DIR, "token"), "utf8").trim() : undefined);
      const req = https.request(
        new URL(apiPath, c.server),
        {
          method,
          agent,
          timeout: timeoutMs,
          headers: { accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": contentType } : {}) },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: no answer from ${c.server} within ${timeoutMs} ms`)));
      req.on("error", reject);
      if (body !== undefined) req.write(JSON.stringify(body));
      req.end();
    });
  const call = async <T>(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<T> => {
    const r = await request(method, apiPath, body, contentType);
    if (r.status >= 300) {
      let msg = r.text;
      try {
        msg = (JSON.parse(r.text) as { message?: string }).message ?? r.text;
      } catch {
        // not JSON: keep the text
      }
      throw new KubeApiError(r.status, `${method} ${apiPath}: ${r.status} ${msg}`);
    }
    return (r.text ? JSON.parse(r.text) : {}) as T;
  };
  return {
    server: c.server,
    get: (p) => call("GET", p),
    async find<T>(p: string) {
      try {
        return await call<T>("GET", p);
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return undefined;
        throw e;
      }
    },
    post: (p, body) => call("POST", p, body),
    mergePatch: (p, body) => call("PATCH", p, body, "application/merge-patch+json"),
    async delete(p) {
      try {
        await call("DELETE", p);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.status === 404)) throw e;
      }
    },
  };
}
