// The aws runtime's parts over real AWS clients: the Observer (CloudWatch, targets from the stack's
// state) and the Promoter (RDS PromoteReadReplica, then the stack repointed). The runner's metrics
// source on aws is cloudWatchSourceFor(prometheusUrl) (the stack outputs cloudwatch://<region>).
// No TrafficRouter yet: an ALB's weights change with the listener rule, i.e. the stack's `up`.
import type { Observer, Promoter, RuntimeContext } from "../../../../automation/platform/seams";
import { preflight } from "../../../../automation/engine";
import { repointConfig } from "../../../../automation/replication/repoint";
import { parseAwsSettings } from "../settings";
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

export function awsRuntimeObserver(ctx: RuntimeContext): Observer {
  return awsObserver(ctx.metrics, () => readTargets(ctx));
}

export function awsRuntimePromoter(ctx: RuntimeContext, region: string): Promoter {
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
