// Per-stack pieces on aws: security groups, the instances' IAM role, the store's subnet group, the
// public ALB with its listener, and the internal "mirror" ALB that receives copies for the shadows.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AwsSettings } from "./settings";
import { tags } from "./tags";

export interface AwsFoundation {
  instanceSg: aws.ec2.SecurityGroup;
  dbSg: aws.ec2.SecurityGroup;
  profile: aws.iam.InstanceProfile;
  subnetGroup: aws.rds.SubnetGroup;
  alb: aws.lb.LoadBalancer;
  /** The listener that carries the services' weighted rules (HTTPS when a certificate is set). */
  listener: aws.lb.Listener;
  mirrorAlb: aws.lb.LoadBalancer;
  mirrorListener: aws.lb.Listener;
}

const notFound = { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "no such service" } };

function securityGroups(s: AwsSettings, parent: pulumi.Resource) {
  const opts = { parent };
  const albSg = new aws.ec2.SecurityGroup("alb", { vpcId: s.vpcId, description: "understudy public ALB", tags: tags("understudy-alb") }, opts);
  const mirrorSg = new aws.ec2.SecurityGroup("mirror-alb", { vpcId: s.vpcId, description: "understudy mirror ALB (internal)", tags: tags("understudy-mirror-alb") }, opts);
  const instanceSg = new aws.ec2.SecurityGroup("instances", { vpcId: s.vpcId, description: "understudy instances", tags: tags("understudy-instances") }, opts);
  const dbSg = new aws.ec2.SecurityGroup("stores", { vpcId: s.vpcId, description: "understudy stores", tags: tags("understudy-stores") }, opts);
  // With a certificate, port 80 stays open only to redirect to HTTPS.
  const ports = s.certificateArn ? [443, 80] : [80];
  s.ingressCidrs.forEach((cidr, i) =>
    ports.forEach((p) => new aws.vpc.SecurityGroupIngressRule(`alb-in-${p}-${i}`, { securityGroupId: albSg.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: p, toPort: p }, opts)),
  );
  const from = (name: string, sg: aws.ec2.SecurityGroup, source: aws.ec2.SecurityGroup, p: number) =>
    new aws.vpc.SecurityGroupIngressRule(name, { securityGroupId: sg.id, referencedSecurityGroupId: source.id, ipProtocol: "tcp", fromPort: p, toPort: p }, opts);
  from("instances-from-alb", instanceSg, albSg, s.sidecarPort);
  from("instances-from-mirror", instanceSg, mirrorSg, s.sidecarPort);
  from("mirror-from-instances", mirrorSg, instanceSg, 80);
  from("stores-from-instances", dbSg, instanceSg, 5432);
  const egress: [string, aws.ec2.SecurityGroup][] = [["alb", albSg], ["mirror-alb", mirrorSg], ["instances", instanceSg]];
  for (const [name, sg] of egress) new aws.vpc.SecurityGroupEgressRule(`${name}-out`, { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1" }, opts);
  return { albSg, mirrorSg, instanceSg, dbSg };
}

function instanceProfile(parent: pulumi.Resource): aws.iam.InstanceProfile {
  const role = new aws.iam.Role(
    "instances",
    {
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      tags: tags("understudy-instances"),
    },
    { parent },
  );
  // Instances read the store's RDS-managed master secret at boot; nothing else.
  new aws.iam.RolePolicy(
    "instances-read-db-secret",
    {
      role: role.id,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:*:*:secret:rds!*" }] }),
    },
    { parent },
  );
  // The SSM agent runs the schema association (replication.ts) on live instances.
  new aws.iam.RolePolicyAttachment("instances-ssm", { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }, { parent });
  return new aws.iam.InstanceProfile("instances", { role: role.name, tags: tags("understudy-instances") }, { parent });
}

/** What instances in private subnets call at boot and run: the store's secret, the SSM agent's schema association. */
export const ENDPOINT_SERVICES = ["secretsmanager", "ssm", "ssmmessages", "ec2messages"];

/**
 * Interface endpoints in the instances' subnets, with private DNS: the AWS CLI and the SSM agent reach
 * Secrets Manager and SSM inside the VPC, so private subnets need no NAT gateway for them.
 */
function vpcEndpoints(s: AwsSettings, instanceSg: aws.ec2.SecurityGroup, parent: pulumi.Resource): void {
  const opts = { parent };
  const sg = new aws.ec2.SecurityGroup("endpoints", { vpcId: s.vpcId, description: "understudy VPC endpoints", tags: tags("understudy-endpoints") }, opts);
  new aws.vpc.SecurityGroupIngressRule("endpoints-from-instances", { securityGroupId: sg.id, referencedSecurityGroupId: instanceSg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443 }, opts);
  for (const svc of ENDPOINT_SERVICES) {
    new aws.ec2.VpcEndpoint(
      `endpoint-${svc}`,
      {
        vpcId: s.vpcId,
        serviceName: `com.amazonaws.${s.region}.${svc}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: Object.values(s.zones).map((z) => z.subnetId),
        securityGroupIds: [sg.id],
        tags: tags(`understudy-${svc}`),
      },
      opts,
    );
  }
}

export function createFoundation(s: AwsSettings, parent: pulumi.Resource): AwsFoundation {
  const opts = { parent };
  const sg = securityGroups(s, parent);
  // Instances and stores in the zones' (private) subnets; the ALBs in their own subnets (public ones
  // for an internet-facing ALB).
  const privateSubnets = Object.values(s.zones).map((z) => z.subnetId);
  const albSubnets = Object.values(s.zones).map((z) => z.albSubnetId);
  if (s.vpcEndpoints) vpcEndpoints(s, sg.instanceSg, parent);
  const subnetGroup = new aws.rds.SubnetGroup("stores", { subnetIds: privateSubnets, tags: tags("understudy-stores") }, opts);
  const alb = new aws.lb.LoadBalancer(
    "public",
    { loadBalancerType: "application", internal: !s.public, subnets: albSubnets, securityGroups: [sg.albSg.id], dropInvalidHeaderFields: true, tags: tags("understudy-public") },
    opts,
  );
  const listener = s.certificateArn
    ? new aws.lb.Listener(
        "https",
        { loadBalancerArn: alb.arn, port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", certificateArn: s.certificateArn, defaultActions: [notFound], tags: tags("understudy-https") },
        opts,
      )
    : new aws.lb.Listener("http", { loadBalancerArn: alb.arn, port: 80, protocol: "HTTP", defaultActions: [notFound], tags: tags("understudy-http") }, opts);
  if (s.certificateArn) {
    new aws.lb.Listener(
      "http-redirect",
      { loadBalancerArn: alb.arn, port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }], tags: tags("understudy-http-redirect") },
      opts,
    );
  }
  // Copies stay inside the VPC: an internal ALB, reachable only from the instances' sidecars.
  const mirrorAlb = new aws.lb.LoadBalancer("mirror", { loadBalancerType: "application", internal: true, subnets: privateSubnets, securityGroups: [sg.mirrorSg.id], tags: tags("understudy-mirror") }, opts);
  const mirrorListener = new aws.lb.Listener("mirror", { loadBalancerArn: mirrorAlb.arn, port: 80, protocol: "HTTP", defaultActions: [notFound], tags: tags("understudy-mirror") }, opts);
  return { instanceSg: sg.instanceSg, dbSg: sg.dbSg, profile: instanceProfile(parent), subnetGroup, alb, listener, mirrorAlb, mirrorListener };
}
