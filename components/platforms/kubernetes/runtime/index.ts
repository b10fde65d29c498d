// The kubernetes platform's runtime: Prometheus queries over the project's relabelling, the HTTPRoute
// through stack config + `up`, store promotion through CloudNativePG's objects.
import { promObserver } from "../../../../automation/platform/promObserver";
import type { PlatformRuntime, RuntimeContext } from "../../../../automation/platform/seams";
import { parseKubernetesSettings } from "../settings";
import { credentials, kubeApi } from "./api";
import { kubernetesPromoter } from "./promoter";
import { kubernetesQueries } from "./queries";
import { kubernetesRouter } from "./router";

export async function kubernetesRuntime(ctx: RuntimeContext): Promise<PlatformRuntime> {
  const config = Object.fromEntries(Object.entries(await ctx.stack.getAllConfig()).map(([k, v]) => [k, v.value]));
  const settings = parseKubernetesSettings(config);
  const api = kubeApi(credentials(config["kubernetes:kubeconfig"], config["kubernetes:context"]));
  return {
    observer: promObserver(ctx.metrics, kubernetesQueries(settings.namespace)),
    router: kubernetesRouter(ctx.stack, ctx.log),
    promoter: kubernetesPromoter({ stack: ctx.stack, settings, api, metrics: ctx.metrics, log: ctx.log }),
  };
}
