// Shared by the platform tests: Pulumi mocks that record every registered resource with its inputs
// (secrets still wrapped, so tests can tell), plus the outputs a cloud would compute.
import * as pulumi from "@pulumi/pulumi";
import { BUDGET_DEFAULTS, CANARY_DEFAULTS, PLACEMENT_DEFAULTS } from "../../../policies/config";
import { collectFacts } from "../../../policies/facts";
import { describe, ResourceArgs } from "../../../policies/model";
import { shadowBudget } from "../../../policies/rules/budget";
import { credentialsAreSecrets } from "../../../policies/rules/credentials";
import { healthChecks } from "../../../policies/rules/health";
import { shadowPlacement } from "../../../policies/rules/placement";
import { ServiceIntent } from "../../../policies/intent";
import { replicationStreams } from "../../../policies/rules/replication";
import { publicTls } from "../../../policies/rules/tls";
import { canaryStep, trafficWeights } from "../../../policies/rules/weights";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True for a value the program marked secret (pulumi.secret or a secret Output). */
export function isSecretInput(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG] === SECRET_SIG;
}

/** The plain value, secrets unwrapped at any depth. */
export function plain(v: unknown): unknown {
  if (isSecretInput(v)) return plain((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Outputs a provider would compute, by resource type. */
function computed(type: string, name: string): Record<string, unknown> {
  const arn = `arn:aws:${type.split(":")[1]}:eu-west-1:123456789012:${name}`;
  switch (type) {
    case "aws:rds/instance:Instance":
      return { arn, identifier: `${name}-id`, address: `${name}.rds.example`, masterUserSecrets: [{ secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!${name}` }] };
    case "aws:lb/loadBalancer:LoadBalancer":
      return { arn, arnSuffix: `app/${name}/1`, dnsName: `${name}.elb.example` };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { arn, latestVersion: 1 };
    case "pulumi-nodejs:dynamic/docker:password":
      return { value: "generated-pw" };
    case "pulumi-nodejs:dynamic/aws:store-suffix":
      return { value: "a1b2c3d4" };
    default:
      return type.startsWith("aws:") ? { arn } : type.startsWith("docker:") ? { imageId: `${name}-image-id` } : {};
  }
}

export function recordResources(stack: string): Registered[] {
  const registered: Registered[] = [];
  void pulumi.runtime.setMocks(
    {
      newResource: (a: pulumi.runtime.MockResourceArgs) => {
        const inputs = a.inputs as Record<string, unknown>;
        const state = { ...inputs, ...computed(a.type, a.name) };
        registered.push({ type: a.type, name: a.name, inputs, state });
        return { id: `${a.name}-id`, state };
      },
      call: () => ({}),
    },
    "understudy",
    stack,
    false,
  );
  return registered;
}

export async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

export const byType = (rs: Registered[], type: string): Registered[] => rs.filter((r) => r.type === type);

export function one(rs: Registered[], type: string, name: string): Registered {
  const r = rs.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} named ${name}; have ${rs.filter((x) => x.type === type).map((x) => x.name).join(", ")}`);
  return r;
}

/** The stack config every platform test starts from; only the platform and its settings differ. */
export function stackConfig(platform: string, settings: Record<string, unknown>): Record<string, string> {
  return {
    "understudy:platform": platform,
    "understudy:hosts": JSON.stringify(["host-1", "host-2", "host-3", "host-4"]),
    "understudy:services": JSON.stringify({
      orders: {
        command: "node dist/demo/service/main.js",
        port: 18100,
        replicas: 2,
        consistency: "strong",
        store: { host: "host-1", schema: "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, total numeric);" },
        shadows: { count: 2, weightPercent: 10, mirrorPercent: 25 },
        replication: { mode: "sync", maxLagSeconds: 5 },
      },
    }),
    [`understudy:${platform}`]: JSON.stringify(settings),
  };
}

/** The value at a dotted path ("spec.rules.0.backendRefs"), secrets unwrapped; undefined when absent. */
export function at(v: unknown, path: string): unknown {
  let cur = plain(v);
  for (const k of path.split(".").filter((p) => p !== "")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

export const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
export const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Every rule of the policy pack, with its default limits, over what the mocks recorded. */
export function policyViolations(rs: Registered[], intent: ServiceIntent[] = []): string[] {
  const resources: ResourceArgs[] = rs.map((r) => ({ type: r.type, name: r.name, props: r.state }));
  const f = collectFacts(resources);
  // A pass over nothing proves nothing: the extractors must recognise this platform's resources.
  const roles = new Set(f.instances.map((i) => i.role));
  if (!roles.has("live") || !roles.has("shadow") || f.routes.length === 0 || f.stores.length === 0 || f.streams.length === 0) return ["the policy pack recognised too few of the platform's resources"];
  return [
    ...shadowPlacement(f, PLACEMENT_DEFAULTS),
    ...trafficWeights(f),
    ...canaryStep(f, CANARY_DEFAULTS),
    ...replicationStreams(f, intent),
    ...shadowBudget(f, BUDGET_DEFAULTS),
    ...healthChecks(f),
    ...publicTls(f),
    ...credentialsAreSecrets(resources),
  ].map(describe);
}
