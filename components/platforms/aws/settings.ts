// The aws platform's own settings: one optional stack config key, `understudy:aws`, validated like
// the rest of the stack config (the error names the key and the rule).
import { ConfigError, NAMESPACE, objectAt as object } from "../../config";

export interface Zone {
  /** The instances' and the stores' subnet in the zone: private (egress through NAT or VPC endpoints). */
  subnetId: string;
  /** The ALBs' subnet in the zone; a public ALB needs one routed to an internet gateway. Default: subnetId. */
  albSubnetId: string;
  availabilityZone: string;
}

export interface AwsSettings {
  vpcId: string;
  /** Config host → a subnet in its own availability zone: on AWS a host is a zone. */
  zones: Record<string, Zone>;
  /** AMI with the service under appDir, Envoy, the AWS CLI and jq (see README). */
  amiId: string;
  instanceType: string;
  appDir: string;
  /** Each service is served as <service>.<domain> (ALB host-header rules). */
  domain: string;
  /** Internet-facing ALB; a public one needs certificateArn (policy no-public-plaintext). */
  public: boolean;
  certificateArn?: string;
  ingressCidrs: string[];
  /** Port of the Envoy sidecar in front of every instance: the ALB's target port. */
  sidecarPort: number;
  /** Instances per zone of a pool: a host is a zone, so this is how a pool grows past the zone count. */
  instancesPerZone: number;
  /**
   * Interface VPC endpoints (Secrets Manager, SSM, SSM messages, EC2 messages) in the instances'
   * subnets, for private subnets without a NAT gateway. false: the subnets' own route to them (NAT).
   */
  vpcEndpoints: boolean;
  /** `aws:region` (or AWS_REGION): the endpoints' service names and the runtime's API clients. */
  region?: string;
  db: { instanceClass: string; allocatedStorageGb: number; engineVersion: string };
}

const KEY = `${NAMESPACE}:aws`;
const KEYS = ["vpcId", "zones", "amiId", "instanceType", "appDir", "domain", "public", "certificateArn", "ingressCidrs", "sidecarPort", "instancesPerZone", "vpcEndpoints", "db"];



function text(key: string, v: unknown, dflt?: string): string {
  const raw = v ?? dflt;
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(key, dflt === undefined ? "is required and must be a non-empty string" : "must be a non-empty string");
  return raw;
}

function int(key: string, v: unknown, dflt: number, min: number, max: number): number {
  const raw = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(raw) || raw < min || raw > max) throw new ConfigError(key, `must be an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
  return raw;
}

function flag(key: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  throw new ConfigError(key, `must be true or false, got ${JSON.stringify(v)}`);
}

function regionOf(raw: Record<string, unknown>, required: boolean): string | undefined {
  const r = raw["aws:region"] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (typeof r === "string" && r.trim() !== "") return r;
  if (required) throw new ConfigError("aws:region", `${KEY}.vpcEndpoints needs the region (the endpoints' service names): set aws:region`);
  return undefined;
}

export function parseAwsSettings(raw: Record<string, unknown>): AwsSettings {
  const o = object(KEY, raw[KEY], KEYS);
  const zonesRaw = object(`${KEY}.zones`, o.zones);
  const zones: Record<string, Zone> = {};
  const seen = new Map<string, string>();
  for (const [host, z] of Object.entries(zonesRaw)) {
    const zk = `${KEY}.zones.${host}`;
    const zo = object(zk, z, ["subnetId", "albSubnetId", "availabilityZone"]);
    const subnetId = text(`${zk}.subnetId`, zo.subnetId);
    const zone = { subnetId, albSubnetId: text(`${zk}.albSubnetId`, zo.albSubnetId, subnetId), availabilityZone: text(`${zk}.availabilityZone`, zo.availabilityZone) };
    // Shadows are kept out of live instances' zones; two hosts in one zone would defeat that.
    const twin = seen.get(zone.availabilityZone);
    if (twin) throw new ConfigError(`${zk}.availabilityZone`, `${zone.availabilityZone} is already host '${twin}'; each host is its own availability zone`);
    seen.set(zone.availabilityZone, host);
    zones[host] = zone;
  }
  const cidrs = o.ingressCidrs === undefined ? ["0.0.0.0/0"] : o.ingressCidrs;
  if (!Array.isArray(cidrs) || cidrs.some((c) => typeof c !== "string" || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c))) {
    throw new ConfigError(`${KEY}.ingressCidrs`, "must be a list of IPv4 CIDR blocks");
  }
  const db = object(`${KEY}.db`, o.db, ["instanceClass", "allocatedStorageGb", "engineVersion"]);
  const isPublic = flag(`${KEY}.public`, o.public, false);
  // An internet-facing ALB sits in subnets routed to an internet gateway; instances and stores do not
  // belong there (they would need public addresses for egress, or be one route away from the internet).
  const shared = Object.entries(zones).find(([, z]) => z.albSubnetId === z.subnetId);
  if (isPublic && shared) {
    throw new ConfigError(`${KEY}.zones.${shared[0]}.albSubnetId`, `a public ALB needs its own (public) subnet in each zone, apart from the instances' subnet ${shared[1].subnetId}; set albSubnetId`);
  }
  return {
    vpcId: text(`${KEY}.vpcId`, o.vpcId),
    zones,
    amiId: text(`${KEY}.amiId`, o.amiId),
    instanceType: text(`${KEY}.instanceType`, o.instanceType, "t3.small"),
    appDir: text(`${KEY}.appDir`, o.appDir, "/opt/understudy"),
    domain: text(`${KEY}.domain`, o.domain, "understudy.internal"),
    public: isPublic,
    certificateArn: o.certificateArn === undefined ? undefined : text(`${KEY}.certificateArn`, o.certificateArn),
    ingressCidrs: cidrs as string[],
    sidecarPort: int(`${KEY}.sidecarPort`, o.sidecarPort, 15000, 1024, 65534),
    instancesPerZone: int(`${KEY}.instancesPerZone`, o.instancesPerZone, 1, 1, 50),
    vpcEndpoints: flag(`${KEY}.vpcEndpoints`, o.vpcEndpoints, false),
    region: regionOf(raw, flag(`${KEY}.vpcEndpoints`, o.vpcEndpoints, false)),
    db: {
      instanceClass: text(`${KEY}.db.instanceClass`, db.instanceClass, "db.t4g.small"),
      allocatedStorageGb: int(`${KEY}.db.allocatedStorageGb`, db.allocatedStorageGb, 20, 20, 65536),
      engineVersion: text(`${KEY}.db.engineVersion`, db.engineVersion, "16"),
    },
  };
}

/** The zone a config host stands for; every host the stack places something on needs one. */
export function zoneOf(s: AwsSettings, host: string): Zone {
  const z = s.zones[host];
  if (!z) throw new ConfigError(`${KEY}.zones.${host}`, `host '${host}' is used by the stack but has no subnet/availability zone; add it under ${KEY}.zones`);
  return z;
}
