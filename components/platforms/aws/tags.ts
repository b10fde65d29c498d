// Tags on every aws resource: policies read service, role and zones from them, operators find things.
import { ServiceSpec } from "../../config";

export const TAG_SERVICE = "understudy:service";
export const TAG_ROLE = "understudy:role";
export const TAG_ZONES = "understudy:zones";
export const TAG_CONSISTENCY = "understudy:consistency";

export function tags(name: string, svc?: ServiceSpec, extra: Record<string, string> = {}): Record<string, string> {
  return { Name: name, "understudy:managed-by": "understudy", ...(svc ? { [TAG_SERVICE]: svc.name } : {}), ...extra };
}

/** Hostnames the ALBs route on: the public one per service, and the mirror ALB's internal one. */
export const publicHost = (svc: ServiceSpec, domain: string): string => `${svc.name}.${domain}`;
export const mirrorHost = (svc: ServiceSpec): string => `${svc.name}.mirror.understudy`;
