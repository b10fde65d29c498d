// Rule credentials-secret: a password, token or URL with a password in a resource's arguments is a
// Pulumi secret (encrypted in the state). In user data it is wrong even as a secret: anyone who may
// describe the launch template reads it — fetch it at boot from the platform's secret store.
import { isSecretProp, ResourceArgs, Violation } from "../model";

export const CREDENTIALS = "credentials-secret";

/**
 * Names of credentials: PASSWORD, DB_PASSWORD, PGPASSWORD, GITHUB_TOKEN, api-key, masterPassword,
 * clientSecret. A camelCase "...Token" is left alone: reloadToken and the like are digests.
 */
const SNAKE = /(^|[_-]|^pg)(password|passwd|secret|token|api_?key|private_?key|access_?key)$/i;
const CAMEL = /[a-z](Password|Passwd|Secret|ApiKey|PrivateKey|AccessKey)$/;
export const isCredentialName = (k: string): boolean => SNAKE.test(k) || CAMEL.test(k);
/** A password that is a shell reference ($pw, ${PW}) is not a credential in the text. */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:(?!\$)[^\s@/]+@/i;
const CONNINFO_PASSWORD = /\bpassword=(?!\$)[^\s'"]+/i;

const literal = (v: string): boolean => v.trim() !== "" && !v.trim().startsWith("$");

/** Paths (dotted) inside a value where a credential sits in clear text. */
export function findCredentials(v: unknown, path: string): string[] {
  if (typeof v === "string") {
    const eq = v.indexOf("=");
    const assignment = eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v.slice(0, eq)) && isCredentialName(v.slice(0, eq)) && literal(v.slice(eq + 1));
    return assignment || URL_WITH_PASSWORD.test(v) || CONNINFO_PASSWORD.test(v) ? [path] : [];
  }
  if (Array.isArray(v)) return v.flatMap((x, i) => findCredentials(x, `${path}[${i}]`));
  if (typeof v !== "object" || v === null) return [];
  const o = v as Record<string, unknown>;
  // Kubernetes-style {name, value} environment entries.
  if (typeof o.name === "string" && typeof o.value === "string" && isCredentialName(o.name) && literal(o.value)) return [`${path}.${o.name}`];
  return Object.entries(o).flatMap(([k, x]) => (typeof x === "string" && isCredentialName(k) && literal(x) ? [`${path}.${k}`] : findCredentials(x, `${path}.${k}`)));
}

/** Launch templates take user data base64-encoded; instances take the script itself. */
function userData(r: ResourceArgs): string {
  const u = typeof r.props.userData === "string" ? r.props.userData : "";
  return r.type.endsWith(":LaunchTemplate") ? Buffer.from(u, "base64").toString("utf8") : u;
}

export function credentialsAreSecrets(resources: ResourceArgs[]): Violation[] {
  const out: Violation[] = [];
  for (const r of resources) {
    for (const [prop, value] of Object.entries(r.props)) {
      // Wrapped in its key, so a top-level `password: "..."` is found like a nested one.
      const found = prop === "userData" ? findCredentials(userData(r), prop) : findCredentials({ [prop]: value }, "").map((p) => p.slice(1));
      if (found.length === 0) continue;
      if (prop === "userData") {
        out.push({ rule: CREDENTIALS, resource: r, problem: "user data contains a credential, readable by anyone who may describe the template", fix: "fetch it at boot from Secrets Manager or SSM Parameter Store (the instance role grants the read)" });
      } else if (!isSecretProp(r, prop)) {
        out.push({
          rule: CREDENTIALS,
          resource: r,
          problem: `${found.join(", ")} holds a credential in plain text`,
          fix: `make '${prop}' a Pulumi secret (pulumi.secret(...) or additionalSecretOutputs: ["${prop}"]), or reference the platform's secret store (a Kubernetes Secret, Secrets Manager)`,
        });
      }
    }
  }
  return out;
}
