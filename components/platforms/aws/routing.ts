// A service's routing on aws: a rule on the public ALB's listener that forwards to the live and
// shadow target groups with the configured weights, and one on the mirror ALB for the copies.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancerArgs, LoadBalancerHandle } from "../../platform";
import { AwsFoundation } from "./foundation";
import { PoolTargets } from "./pools";
import { AwsSettings } from "./settings";
import { mirrorHost, publicHost, tags } from "./tags";

export interface RouteArgs {
  lb: LoadBalancerArgs;
  /** Listener rule priority: unique per service on the shared listeners. */
  priority: number;
  live: PoolTargets;
  shadow?: PoolTargets;
}

export function createRouting(s: AwsSettings, f: AwsFoundation, a: RouteArgs, parent: pulumi.Resource): LoadBalancerHandle {
  const svc = a.lb.service;
  const w = a.shadow ? svc.shadows.weightPercent : 0;
  const groups = [{ arn: a.live.targetGroup.arn, weight: 100 - w }, ...(a.shadow ? [{ arn: a.shadow.targetGroup.arn, weight: w }] : [])];
  const host = publicHost(svc, s.domain);
  new aws.lb.ListenerRule(
    `${svc.name}-route`,
    {
      listenerArn: f.listener.arn,
      priority: a.priority,
      conditions: [{ hostHeader: { values: [host] } }],
      actions: [{ type: "forward", forward: { targetGroups: groups, stickiness: { enabled: false, duration: 1 } } }],
      tags: tags(`${svc.name}-route`, svc),
    },
    { parent },
  );
  if (a.shadow?.mirrorGroup) {
    new aws.lb.ListenerRule(
      `${svc.name}-mirror`,
      {
        listenerArn: f.mirrorListener.arn,
        priority: a.priority,
        conditions: [{ hostHeader: { values: [mirrorHost(svc)] } }],
        actions: [{ type: "forward", targetGroupArn: a.shadow.mirrorGroup.arn }],
        tags: tags(`${svc.name}-mirror`, svc),
      },
      { parent },
    );
  }
  return {
    url: pulumi.output(`${s.certificateArn ? "https" : "http"}://${host}`),
    // ALB metrics live in CloudWatch (namespace AWS/ApplicationELB, dimension LoadBalancer).
    metricsUrl: pulumi.interpolate`cloudwatch://AWS/ApplicationELB?LoadBalancer=${f.alb.arnSuffix}`,
  };
}
