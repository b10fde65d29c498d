// The runner's platform runtime: the one the stack's config names, built by the platform registry.
import { Stack } from "@pulumi/pulumi/automation";
import { createRuntime } from "../../components/platforms";
import { preflight } from "../engine";
import { MetricsSource } from "../metrics/source";
import type { PlatformRuntime } from "../platform/seams";

export async function stackRuntime(root: string, stack: Stack, metrics: MetricsSource, log?: (line: string) => void): Promise<PlatformRuntime> {
  const spec = await preflight(stack);
  return createRuntime(spec.platform, { root, stack, metrics, log });
}
