// Facts from the aws platform: Auto Scaling groups (tags, subnets, ELB health checks), target
// groups' health checks, listener rules' weights, ALB listeners, RDS primaries and read replicas.
import { at, list, num, ResourceArgs, str } from "../model";
import { asRole, Facts } from "./types";

const ASG = "aws:autoscaling/group:Group";
const TG = ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"];
const LB = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const LISTENER = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const RULE = ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"];

/** Tags as a map: resources use a map, Auto Scaling groups a list of {key, value}. */
function tagsOf(r: ResourceArgs): Record<string, string> {
  if (Array.isArray(r.props.tags)) return Object.fromEntries(list(r.props.tags).map((t) => [str(at(t, "key")) ?? "", str(at(t, "value")) ?? ""]));
  return Object.fromEntries(Object.entries((at(r.props, "tags") ?? {}) as Record<string, unknown>).map(([k, v]) => [k, str(v) ?? ""]));
}

export function addAwsFacts(f: Facts, resources: ResourceArgs[]): void {
  const groupsByArn = new Map(resources.filter((r) => TG.includes(r.type)).map((r) => [str(r.props.arn) ?? r.name, r]));
  for (const r of resources) {
    const tags = tagsOf(r);
    const service = tags["understudy:service"];
    const role = asRole(tags["understudy:role"]);
    if (r.type === ASG && service && role) {
      const zones = (tags["understudy:zones"] ?? "").split(",").filter((z) => z !== "");
      const subnets = list(r.props.vpcZoneIdentifiers).map((s) => str(s) ?? "");
      f.instances.push({
        r,
        platform: "aws",
        service,
        role,
        count: num(r.props.desiredCapacity) ?? num(r.props.maxSize) ?? 0,
        where: [...(zones.length ? [{ domain: "zone", values: zones }] : []), ...(subnets.length ? [{ domain: "subnet", values: subnets }] : [])],
        healthChecked: r.props.healthCheckType === "ELB",
      });
    }
    if (TG.includes(r.type)) f.healthChecks.push({ r, platform: "aws", enabled: at(r.props, "healthCheck", "enabled") !== false && !!str(at(r.props, "healthCheck", "path")) });
    if (RULE.includes(r.type) && service) {
      for (const action of list(r.props.actions).filter((a) => at(a, "type") === "forward")) {
        const groups = list(at(action, "forward", "targetGroups"));
        if (groups.length === 0) continue;
        const weights = groups.map((g) => {
          const target = groupsByArn.get(str(at(g, "arn")) ?? "");
          return { role: target ? asRole(tagsOf(target)["understudy:role"]) : undefined, weight: num(at(g, "weight")) ?? 0 };
        });
        f.routes.push({ r, platform: "aws", service, weights, liveImplied: false });
      }
    }
    if (LISTENER.includes(r.type)) {
      const arn = str(r.props.loadBalancerArn);
      const lb = resources.find((x) => LB.includes(x.type) && ((arn !== undefined && str(x.props.arn) === arn) || (r.dependencies ?? []).includes(x.name)));
      const protocol = str(r.props.protocol) ?? "HTTP";
      const redirects = list(r.props.defaultActions).every((a) => at(a, "type") === "redirect" && at(a, "redirect", "protocol") === "HTTPS");
      // An unknown load balancer counts as public: the rule errs on the side of TLS.
      f.entryPoints.push({ r, platform: "aws", public: lb ? at(lb.props, "internal") !== true : true, tls: ["HTTPS", "TLS"].includes(protocol) || redirects });
    }
    if (r.type === "aws:rds/instance:Instance" && service) {
      const replica = r.props.replicateSourceDb !== undefined;
      f.stores.push({ r, platform: "aws", service, role: replica ? "replica" : "primary", consistency: tags["understudy:consistency"] });
      // Physical read replicas are asynchronous; the primary's commits are synchronous only when Multi-AZ.
      f.streams.push(replica ? { r, platform: "aws", service, kind: "subscriber", mode: "async" } : { r, platform: "aws", service, kind: "commit", mode: r.props.multiAz === true ? "sync" : "async" });
    }
  }
}
