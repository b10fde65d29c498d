// Platform registry: the only place that knows every platform. Adding one adds a line here and a
// folder beside this file; it touches no other platform.
import { PlatformName, StackSpec } from "../config";
import { Platform } from "../platform";
import { awsPlatform } from "./aws";
import { dockerPlatform } from "./docker";
import { kubernetesPlatform } from "./kubernetes";
import { localPlatform } from "./local";

export interface PlatformContext {
  root: string;
  stack: string;
  spec: StackSpec;
}

const factories: Partial<Record<PlatformName, (c: PlatformContext) => Platform>> = {
  local: (c) => localPlatform(c.root, c.stack, c.spec),
  kubernetes: () => kubernetesPlatform(),
  aws: (c) => awsPlatform(c.spec),
  docker: (c) => dockerPlatform(c.stack, c.spec),
};

export function createPlatform(c: PlatformContext): Platform {
  const f = factories[c.spec.platform];
  if (!f) throw new Error(`platform '${c.spec.platform}' is not part of this build; available: ${Object.keys(factories).join(", ")}`);
  return f(c);
}
