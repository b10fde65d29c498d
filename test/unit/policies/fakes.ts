// Fake resource arguments as each platform declares them: the shapes the policy pack reads.
import { ResourceArgs } from "../../../policies/model";

const r = (type: string, name: string, props: Record<string, unknown>, extra: Partial<ResourceArgs> = {}): ResourceArgs => ({ type, name, urn: `urn:pulumi:ci::understudy::${type}::${name}`, props, ...extra });

export const local = {
  process: (svc: string, role: string, host: string, o: { healthPath?: string; env?: Record<string, string>; secretEnv?: unknown } = {}) =>
    r("pulumi-nodejs:dynamic/local:process", `${svc}-${role}-${host}`, {
      env: { UNDERSTUDY_SERVICE: svc, UNDERSTUDY_ROLE: role, UNDERSTUDY_HOST: host, ...o.env },
      secretEnv: o.secretEnv ?? {},
      healthPath: "healthPath" in o ? o.healthPath : "/healthz",
    }, { secretOutputs: ["secretEnv"] }),
  routing: (svc: string, weight: number, mirror = 0) =>
    r("pulumi-nodejs:dynamic/local:haproxyRouting", `${svc}-lb-routing`, { adminSocket: `/x/${svc}/admin.sock`, mapPath: `/x/${svc}/routing.map`, entries: { shadow_weight: weight, mirror_percent: mirror, mirror_body_cap: 65536 } }),
  store: (svc: string, host: string) => r("pulumi-nodejs:dynamic/local:postgresCluster", `${svc}-store-${host}`, { dataDir: "/x", user: "u" }, { secretOutputs: ["password"] }),
  subscription: (svc: string, host: string, mode: string) => r("pulumi-nodejs:dynamic/local:replicationSubscription", `${svc}-subscription-${host}`, { mode, url: "postgres://u:pw@h/db" }, { secretOutputs: ["url", "publisherUrl"] }),
};

const dockerLabels = (l: Record<string, string>) => Object.entries(l).map(([label, value]) => ({ label, value }));

export const docker = {
  container: (svc: string, role: string, host: string, o: { health?: boolean; envs?: string[]; secretOutputs?: string[] } = {}) =>
    r("docker:index/container:Container", `${svc}-${role}-${host}`, {
      labels: dockerLabels({ "understudy.service": svc, "understudy.role": role, "understudy.host": host }),
      networksAdvanced: [{ name: `u-${host}` }, { name: "u-backbone" }],
      healthcheck: o.health === false ? undefined : { tests: ["CMD-SHELL", "wget -qO- http://127.0.0.1/healthz"] },
      envs: o.envs ?? [],
    }, { secretOutputs: o.secretOutputs ?? [] }),
  lb: (svc: string, weight: number, mirror = 0) =>
    r("docker:index/container:Container", `${svc}-lb`, {
      labels: dockerLabels({ "understudy.service": svc, "understudy.role": "loadbalancer" }),
      uploads: [{ file: "/usr/local/etc/haproxy/routing.map", content: `shadow_weight ${weight}\nmirror_percent ${mirror}\n` }],
    }),
  store: (svc: string, role: string, consistency: string) => r("docker:index/container:Container", `${svc}-store-${role}`, { labels: dockerLabels({ "understudy.service": svc, "understudy.role": role, "understudy.consistency": consistency }) }),
  step: (svc: string, kind: string, mode: string) => r("docker:index/container:Container", `${svc}-${kind}`, { labels: dockerLabels({ "understudy.service": svc, "understudy.replication": kind, "understudy.mode": mode }) }, { secretOutputs: ["envs"] }),
};

const k8sLabels = (svc: string, role: string, extra: Record<string, string> = {}) => ({ "understudy.io/service": svc, "understudy.io/role": role, ...extra });
const CNPG = "kubernetes:postgresql.cnpg.io/v1";

export const k8s = {
  deployment: (svc: string, role: string, o: { replicas?: number; topologyKey?: string | null; probes?: boolean; env?: unknown[] } = {}) => {
    const against = role === "live" ? "shadow" : "live";
    const term = o.topologyKey === null ? [] : [{ labelSelector: { matchLabels: k8sLabels(svc, against) }, topologyKey: o.topologyKey ?? "kubernetes.io/hostname" }];
    const probe = o.probes === false ? undefined : { httpGet: { path: "/healthz", port: "http" } };
    return r("kubernetes:apps/v1:Deployment", `${svc}-${role}`, {
      metadata: { name: `${svc}-${role}`, labels: k8sLabels(svc, role) },
      spec: {
        replicas: o.replicas ?? 2,
        template: { spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: term } }, containers: [{ name: svc, readinessProbe: probe, livenessProbe: probe, env: o.env ?? [] }] } },
      },
    });
  },
  route: (svc: string, live: number, shadow: number, mirror?: number) =>
    r("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", `${svc}-route`, {
      metadata: { labels: { "understudy.io/service": svc } },
      spec: {
        rules: [
          {
            backendRefs: [{ name: `${svc}-live`, weight: live }, { name: `${svc}-shadow`, weight: shadow }],
            filters: mirror === undefined ? [] : [{ type: "RequestMirror", requestMirror: { backendRef: { name: `${svc}-shadow` }, percent: mirror } }],
          },
        ],
      },
    }),
  gateway: (exposure: string, protocol: string) =>
    r("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway", { metadata: { labels: { "understudy.io/exposure": exposure } }, spec: { listeners: [{ protocol, port: protocol === "HTTPS" ? 443 : 80 }] } }),
  cluster: (svc: string, host: string, role: string, consistency: string) => r(`${CNPG}:Cluster`, `${svc}-store-${host}`, { metadata: { name: `${svc}-store-${host}`, labels: k8sLabels(svc, role, { "understudy.io/consistency": consistency }) } }),
  subscription: (svc: string, host: string) => r(`${CNPG}:Subscription`, `${svc}-subscription-${host}`, { metadata: { labels: { "understudy.io/service": svc } } }),
  synchronous: (cluster: string) => r(`${CNPG}:ClusterPatch`, `${cluster}-synchronous`, { metadata: { name: cluster }, spec: { postgresql: { synchronous: { method: "any", number: 1 } } } }),
};

const awsTags = (svc: string, role: string, extra: Record<string, string> = {}) => ({ "understudy:service": svc, "understudy:role": role, ...extra });

export const aws = {
  asg: (svc: string, role: string, zones: string[], o: { count?: number; healthCheckType?: string } = {}) =>
    r("aws:autoscaling/group:Group", `${svc}-${role}`, {
      vpcZoneIdentifiers: zones.map((z) => `subnet-${z}`),
      desiredCapacity: o.count ?? zones.length,
      healthCheckType: o.healthCheckType ?? "ELB",
      tags: Object.entries(awsTags(svc, role, { "understudy:zones": zones.join(",") })).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    }),
  targetGroup: (svc: string, role: string, enabled = true) => r("aws:lb/targetGroup:TargetGroup", `${svc}-${role}`, { arn: `arn:tg/${svc}-${role}`, healthCheck: { enabled, path: "/healthz" }, tags: awsTags(svc, role) }),
  rule: (svc: string, live: number, shadow: number) =>
    r("aws:lb/listenerRule:ListenerRule", `${svc}-route`, {
      tags: { "understudy:service": svc },
      actions: [{ type: "forward", forward: { targetGroups: [{ arn: `arn:tg/${svc}-live`, weight: live }, { arn: `arn:tg/${svc}-shadow`, weight: shadow }] } }],
    }),
  alb: (name: string, internal: boolean) => r("aws:lb/loadBalancer:LoadBalancer", name, { internal, arn: `arn:lb/${name}` }),
  listener: (name: string, alb: string, protocol: string, o: { redirect?: boolean; viaDependency?: boolean } = {}) =>
    r("aws:lb/listener:Listener", name, {
      loadBalancerArn: o.viaDependency ? undefined : `arn:lb/${alb}`,
      protocol,
      defaultActions: [o.redirect ? { type: "redirect", redirect: { protocol: "HTTPS" } } : { type: "fixed-response" }],
    }, { dependencies: o.viaDependency ? [alb] : [] }),
  db: (svc: string, host: string, o: { replica?: boolean; multiAz?: boolean; consistency?: string; password?: string; secretOutputs?: string[] } = {}) =>
    r("aws:rds/instance:Instance", `${svc}-store-${host}`, {
      ...(o.replica ? { replicateSourceDb: `${svc}-store-primary` } : { multiAz: o.multiAz ?? false }),
      password: o.password,
      tags: awsTags(svc, o.replica ? "replica" : "primary", { "understudy:consistency": o.consistency ?? "eventual" }),
    }, { secretOutputs: o.secretOutputs ?? ["password"] }),
  launchTemplate: (name: string, script: string) => r("aws:ec2/launchTemplate:LaunchTemplate", name, { userData: Buffer.from(script).toString("base64") }, { secretOutputs: ["userData"] }),
};
