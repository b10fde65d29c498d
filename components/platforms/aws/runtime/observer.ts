// The aws runtime's Observer: the stack's state says what to observe (targets.ts), CloudWatch has the
// numbers (cloudwatch.ts), and the folding into decide()'s observations is every platform's.
import { promObserver } from "../../../../automation/platform/promObserver";
import type { Observed, Observer } from "../../../../automation/platform/seams";
import { MetricsSource } from "../../../../automation/metrics/source";
import { StackSpec } from "../../../config";
import { awsLoadQuery, awsQueries } from "./queries";
import { ServiceTargets } from "./targets";

export function awsObserver(source: MetricsSource, readTargets: () => Promise<Record<string, ServiceTargets>>): Observer {
  let targets: Record<string, ServiceTargets> | undefined;
  return {
    async observe(spec: StackSpec, now: number): Promise<Observed> {
      // Read each time: an `up` may have replaced a group or a replica since the last tick.
      targets = await readTargets();
      return promObserver(source, awsQueries(targets)).observe(spec, now);
    },
    loadQuery(service: string): string {
      const t = targets?.[service];
      if (!t) throw new Error(`aws runtime: no load query for '${service}' before observe() has read the stack's targets`);
      return awsLoadQuery(service, t);
    },
  };
}
