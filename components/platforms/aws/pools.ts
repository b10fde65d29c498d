// A pool (live or shadow) of one service on aws: a launch template and an Auto Scaling group over the
// subnets of the pool's zones only (placeService keeps shadow zones apart from live ones), behind a
// health-checked target group. Shadow pools also join the mirror ALB's target group.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancerSpec } from "../../config";
import { Endpoint, InstanceGroup, InstanceGroupArgs } from "../../platform";
import { AwsFoundation } from "./foundation";
import { AwsSettings, zoneOf } from "./settings";
import { StoreRegistry } from "./store";
import { mirrorHost, TAG_ROLE, TAG_ZONES, tags } from "./tags";
import { renderUserData } from "./userData";

export interface PoolTargets {
  targetGroup: aws.lb.TargetGroup;
  /** Shadows only: the mirror ALB's target group, fed by the live instances' sidecars. */
  mirrorGroup?: aws.lb.TargetGroup;
}

function targetGroup(name: string, s: AwsSettings, healthPath: string, lb: LoadBalancerSpec, t: Record<string, string>, parent: pulumi.Resource): aws.lb.TargetGroup {
  // ALB checks every 5 s at the fastest; the stack's interval is honoured when it is longer.
  const interval = Math.max(5, Math.ceil(lb.checkIntervalMs / 1000));
  return new aws.lb.TargetGroup(
    name,
    {
      vpcId: s.vpcId,
      port: s.sidecarPort,
      protocol: "HTTP",
      targetType: "instance",
      deregistrationDelay: 10,
      healthCheck: { enabled: true, path: healthPath, port: "traffic-port", protocol: "HTTP", matcher: "200", interval, timeout: Math.min(interval - 1, 4), healthyThreshold: 2, unhealthyThreshold: 2 },
      tags: t,
    },
    { parent },
  );
}

interface GroupSpec {
  name: string;
  hosts: string[];
  databaseUrl?: pulumi.Output<string>;
}

/** A launch template and its Auto Scaling group: one instance per zone of the group. */
function autoScalingGroup(
  s: AwsSettings,
  f: AwsFoundation,
  stores: StoreRegistry,
  args: InstanceGroupArgs,
  g: GroupSpec,
  poolTags: Record<string, string>,
  targetGroups: aws.lb.TargetGroup[],
  parent: pulumi.Resource,
): aws.autoscaling.Group {
  const svc = args.service;
  const db = g.databaseUrl ? stores.of(g.databaseUrl) : undefined;
  const userData = pulumi
    .all([f.mirrorAlb.dnsName, db?.address ?? "", db?.secretArn ?? ""])
    .apply(([albDns, dbHost, secretArn]) =>
      Buffer.from(
        renderUserData({
          service: svc,
          role: args.role,
          appDir: s.appDir,
          sidecarPort: s.sidecarPort,
          mirror: { albDns, host: mirrorHost(svc) },
          db: db ? { host: dbHost, port: 5432, database: db.database, user: db.user, secretArn } : undefined,
        }),
      ).toString("base64"),
    );
  const template = new aws.ec2.LaunchTemplate(
    g.name,
    {
      imageId: s.amiId,
      instanceType: s.instanceType,
      iamInstanceProfile: { arn: f.profile.arn },
      vpcSecurityGroupIds: [f.instanceSg.id],
      userData,
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
      tagSpecifications: [{ resourceType: "instance", tags: poolTags }],
      tags: poolTags,
    },
    { parent, dependsOn: args.after },
  );
  const size = g.hosts.length * s.instancesPerZone;
  const groupTags = { ...poolTags, [TAG_ZONES]: g.hosts.map((h) => zoneOf(s, h).availabilityZone).join(",") };
  return new aws.autoscaling.Group(
    g.name,
    {
      // One subnet per zone of the group, instancesPerZone instances in each: the ASG balances across them.
      vpcZoneIdentifiers: g.hosts.map((h) => zoneOf(s, h).subnetId),
      desiredCapacity: size,
      minSize: size,
      // Room to launch a replacement before the old instance goes (below): never fewer than `size` serve.
      maxSize: size * 2,
      launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
      targetGroupArns: targetGroups.map((t) => t.arn),
      healthCheckType: "ELB",
      healthCheckGracePeriod: 90,
      // Launch before terminate, for refreshes and for health-check replacements alike: a group of one
      // at 50 % would terminate its only instance first (50 % of 1 rounds down to 0 healthy).
      instanceMaintenancePolicy: { minHealthyPercentage: 100, maxHealthyPercentage: 200 },
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200 } },
      tags: Object.entries(groupTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    },
    { parent },
  );
}

export function createPool(
  s: AwsSettings,
  f: AwsFoundation,
  lb: LoadBalancerSpec,
  stores: StoreRegistry,
  args: InstanceGroupArgs,
  parent: pulumi.Resource,
): { group: InstanceGroup; targets?: PoolTargets } {
  const svc = args.service;
  if (args.hosts.length === 0) return { group: { endpoints: [] } };
  const name = `${svc.name}-${args.role}`;
  const zones = args.hosts.map((h) => zoneOf(s, h));
  const poolTags = tags(name, svc, { [TAG_ROLE]: args.role, [TAG_ZONES]: zones.map((z) => z.availabilityZone).join(",") });
  const tg = targetGroup(name, s, svc.healthPath, lb, poolTags, parent);
  const mirrorGroup = args.role === "shadow" ? targetGroup(`${svc.name}-mirror`, s, svc.healthPath, lb, poolTags, parent) : undefined;
  // One group for the pool, or one per zone when each zone reads its own store (a shadow and its replica).
  const perHost = args.databaseUrls;
  const groups = perHost
    ? args.hosts.map((h) => ({ name: `${name}-${h}`, hosts: [h], databaseUrl: perHost[h] ?? args.databaseUrl }))
    : [{ name, hosts: args.hosts, databaseUrl: args.databaseUrl }];
  const asgs = new Map<string, aws.autoscaling.Group>();
  for (const g of groups) {
    const asg = autoScalingGroup(s, f, stores, args, g, poolTags, [tg, ...(mirrorGroup ? [mirrorGroup] : [])], parent);
    for (const h of g.hosts) asgs.set(h, asg);
  }
  // Instances are not addressable one by one: the ASG owns them; endpoints name the group and zone.
  const endpoints: Endpoint[] = args.hosts.map((host, i) => ({
    instance: `${name}-${host}`,
    role: args.role,
    host,
    address: pulumi.interpolate`${asgs.get(host)?.name ?? ""}/${zones[i].availabilityZone}`,
    port: s.sidecarPort,
  }));
  return { group: { endpoints }, targets: { targetGroup: tg, mirrorGroup } };
}
