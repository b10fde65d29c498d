// The policies of the pack: each a stack validation over the platform-neutral facts, so one rule
// covers local, docker, kubernetes and aws. Rules are pure (rules/); this file adapts @pulumi/policy.
import { EnforcementLevel, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { BUDGET_DEFAULTS, BUDGET_SCHEMA, CANARY_DEFAULTS, CANARY_SCHEMA, PLACEMENT_DEFAULTS, PLACEMENT_SCHEMA } from "./config";
import { collectFacts, Facts } from "./facts";
import { StackIntent } from "./intent";
import { describe, ResourceArgs, Violation } from "./model";
import { BUDGET, shadowBudget } from "./rules/budget";
import { CREDENTIALS, credentialsAreSecrets } from "./rules/credentials";
import { HEALTH, healthChecks } from "./rules/health";
import { PLACEMENT, shadowPlacement } from "./rules/placement";
import { REPLICATION, replicationStreams } from "./rules/replication";
import { publicTls, TLS } from "./rules/tls";
import { CANARY, canaryStep, trafficWeights, WEIGHTS } from "./rules/weights";

/** A copy of the props in which values unknown during preview are undefined instead of throwing. */
export function snapshot(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = Array.isArray(v) ? ([] as unknown as Record<string, unknown>) : {};
  for (const k of Object.keys(v)) {
    try {
      out[k] = snapshot((v as Record<string, unknown>)[k]);
    } catch {
      out[k] = undefined;
    }
  }
  return out;
}

export function toArgs(r: PolicyResource): ResourceArgs {
  const deps = [...r.dependencies, ...Object.values(r.propertyDependencies).flat()].map((d) => d.name);
  return { type: r.type, name: r.name, urn: r.urn, props: snapshot(r.props) as Record<string, unknown>, secretOutputs: r.opts.additionalSecretOutputs, dependencies: deps };
}

type Check<C> = (facts: Facts, config: C, resources: ResourceArgs[]) => Violation[];

function stackPolicy<C extends object>(name: string, description: string, enforcementLevel: EnforcementLevel, check: Check<C>, configSchema?: StackValidationPolicy["configSchema"], defaults?: C): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel,
    configSchema,
    validateStack: (args, reportViolation) => {
      const resources = args.resources.map(toArgs);
      const config: C = { ...defaults, ...args.getConfig<C>() };
      for (const v of check(collectFacts(resources), config, resources)) reportViolation(describe(v), v.resource?.urn);
    },
  };
}

/** `intent` is read when a policy runs: the engine hands the pack the stack config after it starts. */
export function policies(intent: () => StackIntent): StackValidationPolicy[] {
  return [
    stackPolicy(PLACEMENT, "Shadows never run on the host, node or zone of a live instance of the same service.", "mandatory", (f, c) => shadowPlacement(f, c), PLACEMENT_SCHEMA, PLACEMENT_DEFAULTS),
    stackPolicy(WEIGHTS, "Traffic weights and the mirror percent are percents; live + shadow = 100.", "mandatory", (f) => trafficWeights(f)),
    stackPolicy(CANARY, "The shadows' share is a canary step, and no step exceeds the configured maximum.", "mandatory", (f, c) => canaryStep(f, c, intent()), CANARY_SCHEMA, CANARY_DEFAULTS),
    stackPolicy(REPLICATION, "A stateful service with shadows has a replication stream; strong consistency replicates synchronously.", "mandatory", (f) => replicationStreams(f, intent().services)),
    stackPolicy(BUDGET, "The shadows stay within the cost model's budget.", "mandatory", (f, c) => shadowBudget(f, c, intent()), BUDGET_SCHEMA, BUDGET_DEFAULTS),
    stackPolicy(HEALTH, "Every pool of instances is health-checked.", "mandatory", (f) => healthChecks(f)),
    stackPolicy(TLS, "No load balancer or gateway reachable from the internet speaks plain HTTP.", "mandatory", (f) => publicTls(f)),
    stackPolicy(CREDENTIALS, "Database passwords and other credentials are Pulumi secrets.", "mandatory", (_f, _c, resources) => credentialsAreSecrets(resources)),
  ];
}
