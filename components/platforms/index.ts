// Platform registry: the only place that knows every platform. Adding one adds a line here and a
// folder beside this file; it touches no other platform.
import type { PlatformRuntime, RuntimeContext } from "../../automation/platform/seams";
import { PlatformName, StackSpec } from "../config";
import { Platform } from "../platform";

export interface PlatformContext {
  root: string;
  stack: string;
  spec: StackSpec;
}

// Each platform's code is loaded only when a stack uses it (its provider SDK is heavy to import).
const factories: Partial<Record<PlatformName, (c: PlatformContext) => Platform>> = {
  local: (c) => (require("./local") as typeof import("./local")).localPlatform(c.root, c.stack, c.spec),
  kubernetes: () => (require("./kubernetes") as typeof import("./kubernetes")).kubernetesPlatform(),
  aws: (c) => (require("./aws") as typeof import("./aws")).awsPlatform(c.spec),
  docker: (c) => (require("./docker") as typeof import("./docker")).dockerPlatform(c.stack, c.spec),
};

export function createPlatform(c: PlatformContext): Platform {
  const f = factories[c.spec.platform];
  if (!f) throw new Error(`platform '${c.spec.platform}' is not part of this build; available: ${Object.keys(factories).join(", ")}`);
  return f(c);
}

// The runtime side of each platform (Observer, TrafficRouter, Promoter), loaded only for the platform
// a stack runs on: the runner never pulls in another platform's code.
const runtimes: Partial<Record<PlatformName, (c: RuntimeContext) => Promise<PlatformRuntime>>> = {
  local: async (c) => (require("./local/runtime") as typeof import("./local/runtime")).localRuntime(c),
  kubernetes: (c) => (require("./kubernetes/runtime") as typeof import("./kubernetes/runtime")).kubernetesRuntime(c),
  aws: (c) => (require("./aws/runtime") as typeof import("./aws/runtime")).awsRuntime(c),
  docker: async (c) => (require("./docker/runtime") as typeof import("./docker/runtime")).dockerRuntime(c),
};

export async function createRuntime(platform: PlatformName, c: RuntimeContext): Promise<PlatformRuntime> {
  const f = runtimes[platform];
  if (!f) throw new Error(`platform '${platform}' has no automation runtime yet (observer, traffic router, promoter): the runner supports ${Object.keys(runtimes).join(", ")}`);
  return f(c);
}
