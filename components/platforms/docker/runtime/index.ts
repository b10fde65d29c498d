// The docker platform's runtime: the Observer over its Prometheus container (queries.ts); weights
// through config + `up`, which the HAProxy container takes through its runtime API without being
// replaced. Store promotion is not built for docker: its PostgreSQL containers export no replication
// lag yet, so no promotion could be proven safe; the Promoter refuses and says so.
import { promObserver } from "../../../../automation/platform/promObserver";
import { configRouter } from "../../../../automation/platform/configRouter";
import type { PlatformRuntime, RuntimeContext } from "../../../../automation/platform/seams";
import { PromotionRefused } from "../../../../automation/replication";
import { dockerQueries } from "./queries";

const NO_PROMOTION = "the docker platform has no store promotion: its PostgreSQL containers export no replication lag, so catch-up cannot be checked; promote by hand and repoint with `understudy:services.<svc>.store.host`";

export function dockerRuntime(ctx: RuntimeContext): PlatformRuntime {
  return {
    observer: promObserver(ctx.metrics, dockerQueries),
    router: configRouter(ctx.stack, { log: ctx.log }),
    promoter: {
      status: async (service) => ({ service, promotable: false, reason: NO_PROMOTION }),
      promote: async (r) => {
        throw new PromotionRefused(r.service, [NO_PROMOTION]);
      },
    },
  };
}
