// The local platform's runtime: Prometheus queries over its own scrape labels, HAProxy's runtime API
// for traffic, PostgreSQL promotion through the stack's replication driver.
import { promObserver } from "../../../../automation/platform/promObserver";
import type { PlatformRuntime, RuntimeContext } from "../../../../automation/platform/seams";
import { localPromoter } from "./promoter";
import { localQueries } from "./queries";
import { localRouter } from "./router";

export function localRuntime(ctx: RuntimeContext): PlatformRuntime {
  return {
    observer: promObserver(ctx.metrics, localQueries),
    router: localRouter(ctx.root, ctx.stack.name),
    promoter: localPromoter(ctx.root, ctx.stack, ctx.log),
  };
}
