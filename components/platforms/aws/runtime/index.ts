// The aws runtime over real AWS clients: the Observer (CloudWatch, targets from the stack's state),
// the TrafficRouter (the ALB listener rule's weights through config + `up`) and the Promoter (RDS
// PromoteReadReplica, then the stack repointed).
import { configRouter } from "../../../../automation/platform/configRouter";
import type { Observer, PlatformRuntime, Promoter, RuntimeContext } from "../../../../automation/platform/seams";
import { preflight } from "../../../../automation/engine";
import { repointConfig } from "../../../../automation/replication/repoint";
import { ConfigError } from "../../../config";
import { parseAwsSettings } from "../settings";
import { cloudWatchSourceFor } from "./cloudwatch";
import { awsObserver } from "./observer";
import { awsPromoter } from "./promoter";
import { ServiceTargets, StateResource, targetsFromState } from "./targets";

async function readTargets(ctx: RuntimeContext): Promise<Record<string, ServiceTargets>> {
  const config = Object.fromEntries(Object.entries(await ctx.stack.getAllConfig()).map(([k, v]) => [k, v.value]));
  const s = parseAwsSettings(config);
  const zones = Object.fromEntries(Object.entries(s.zones).map(([h, z]) => [h, z.availabilityZone]));
  const state = (await ctx.stack.exportStack()) as { deployment?: { resources?: StateResource[] } };
  return targetsFromState(state.deployment?.resources ?? [], zones);
}

function awsRuntimeObserver(ctx: RuntimeContext): Observer {
  return awsObserver(ctx.metrics, () => readTargets(ctx));
}

function awsRuntimePromoter(ctx: RuntimeContext, region: string): Promoter {
  const { RDSClient } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
  return awsPromoter({
    rds: new RDSClient({ region }),
    metrics: ctx.metrics,
    spec: () => preflight(ctx.stack),
    targets: () => readTargets(ctx),
    async repoint(spec, svc, host) {
      await repointConfig(ctx.stack, spec, svc, host);
      // The state learns the instance is standalone before `up` compares it with the new declaration.
      await ctx.stack.refresh({ onOutput: (l) => ctx.log?.(l) });
      await ctx.stack.up({ onOutput: (l) => ctx.log?.(l) });
    },
  });
}

/**
 * The aws platform's runtime. Weights live in the ALB listener rule, which the stack owns: they move
 * by config + `up` (configRouter). Metrics come from CloudWatch in the stack's region, whatever source
 * the caller passed: the aws stack's metrics address is cloudwatch://<region>.
 */
export async function awsRuntime(ctx: RuntimeContext): Promise<PlatformRuntime> {
  const config = Object.fromEntries(Object.entries(await ctx.stack.getAllConfig()).map(([k, v]) => [k, v.value]));
  const region = parseAwsSettings(config).region;
  if (!region) throw new ConfigError("aws:region", "the aws runtime reads CloudWatch and RDS in the stack's region: set aws:region (or AWS_REGION)");
  const cw: RuntimeContext = { ...ctx, metrics: cloudWatchSourceFor(`cloudwatch://${region}`) };
  return { observer: awsRuntimeObserver(cw), router: configRouter(ctx.stack, { log: ctx.log }), promoter: awsRuntimePromoter(cw, region), metrics: cw.metrics };
}
