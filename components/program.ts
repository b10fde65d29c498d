// The stack program: stack config → validated spec → platform → one MirroredService per service.
// Shared by index.ts (the CLI's entry point) and the Automation API's inline program.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig, StackSpec } from "./config";
import { MirroredService } from "./mirroredService";
import { createPlatform } from "./platforms";

export interface StackOutputs {
  platform: string;
  prometheusUrl: pulumi.Output<string>;
  services: Record<string, { url: pulumi.Output<string>; liveHosts: pulumi.Output<string[]>; shadowHosts: pulumi.Output<string[]> }>;
}

/** Validates first: nothing is registered when the config is wrong. */
export function understudyProgram(root: string, rawConfig: Record<string, string> = pulumi.runtime.allConfig()): StackOutputs {
  let spec: StackSpec;
  try {
    spec = parseStackConfig(rawConfig);
  } catch (e) {
    // A RunError is shown as the program's failure: the key and the rule, without a stack trace.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const platform = createPlatform({ root, stack: pulumi.getStack(), spec });
  const stack = new pulumi.ComponentResource("understudy:index:Stack", "understudy", {});
  const { prometheusUrl } = platform.foundation(spec, stack);
  const services: StackOutputs["services"] = {};
  for (const svc of spec.services) {
    const m = new MirroredService(svc.name, { service: svc, hosts: spec.hosts, platform }, { parent: stack });
    services[svc.name] = { url: m.url, liveHosts: m.liveHosts, shadowHosts: m.shadowHosts };
  }
  return { platform: spec.platform, prometheusUrl, services };
}
