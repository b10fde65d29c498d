import test from "ava";
import { parsePolicy } from "../../../automation/decide";
import { Point } from "../../../automation/forecast";
import { DEFAULT_HPA, DEFAULT_SIM_PARAMS, ForecastTape, Oracle, PROMOTION, Phpa, ReactiveHpa, Trace, Understudy, initialLive, prepareTrace, simulate } from "../../../automation/simulate";

const P = DEFAULT_SIM_PARAMS;
const TARGET = 0.7;
const T0 = Date.UTC(2024, 0, 1);

/** Three days at 5 minutes: flat, then a 2-hour surge to 3× on the last day (the replayed one). */
function surge(): Trace {
  const points: Point[] = Array.from({ length: 3 * 288 }, (_, i) => ({ t: T0 + i * 300_000, v: i >= 2 * 288 + 100 && i < 2 * 288 + 124 ? 1200 : 400 }));
  return prepareTrace(points);
}

/** A forecaster that knows the next steps exactly, with a narrow band: what understudy does with a good forecast. */
function perfectTape(trace: Trace, steps: number): ForecastTape {
  const tape: ForecastTape = { kind: "holt-winters", t: [], forecasts: [], pRise: [], fits: 1 };
  for (let j = trace.start - 1; j < trace.points.length; j++) {
    const next = trace.points.slice(j + 1, j + 1 + steps);
    tape.t.push(trace.points[j].t);
    tape.forecasts.push(next.map((p) => ({ t: p.t, quantiles: [0.9, 0.95, 1, 1.03, 1.05, 1.08].map((k) => k * p.v) })));
    tape.pRise.push(next.some((p) => p.v >= 1.2 * trace.points[j].v) ? 0.95 : 0.05);
  }
  return tape;
}

test("a flat trace: the oracle pays exactly its instances and breaks nothing", (t) => {
  const trace = prepareTrace(Array.from({ length: 3 * 288 }, (_, i) => ({ t: T0 + i * 300_000, v: 10 })));
  const { result, timeline } = simulate("flat", trace, new Oracle(trace, P, TARGET), P);
  const n = Math.ceil(1200 / (100 * TARGET));
  t.is(result.violationMinutes, 0);
  // Every strategy starts from the same count; the oracle moves to its own on the first tick.
  const minutes = (timeline.t.length * P.tickSec) / 60;
  const instanceMinutes = n * minutes - ((n - initialLive(trace, P)) * P.tickSec) / 60;
  t.is(result.instanceMinutes, instanceMinutes);
  t.true(Math.abs(result.cost - (instanceMinutes * P.pricePerHour) / 60) < 1e-9);
  t.is(result.costWithDowntime, result.cost);
});

test("a surge: the oracle breaks nothing, the HPA falls behind its cold starts, understudy with a good forecast does not if it promotes warm", (t) => {
  const trace = surge();
  const oracle = simulate("surge", trace, new Oracle(trace, P, TARGET), P).result;
  const reactive = simulate("surge", trace, new ReactiveHpa({ ...DEFAULT_HPA, targetUtilisation: TARGET }), P).result;
  const policy = parsePolicy({ horizonSec: 600, cpuThreshold: 0.9, targetUtilisation: TARGET, consolidation: { floor: 0.5, windowSec: 300 } });
  const understudy = (p: typeof P) => simulate("surge", trace, new Understudy(perfectTape(trace, 3), { stepSec: 300, policy, hosts: P.maxInstances, intervalSec: 30 }), p).result;
  const warm = understudy({ ...P, promotion: PROMOTION["warm-flip"] });
  const local = understudy(P);
  const cold = understudy({ ...P, promotion: PROMOTION.kubernetes });
  t.is(oracle.violationMinutes, 0);
  t.true(reactive.violationMinutes >= 5, `reactive ${reactive.violationMinutes}`);
  t.true(reactive.costWithDowntime > reactive.cost);
  t.true(warm.violationMinutes < reactive.violationMinutes / 2, `understudy ${warm.violationMinutes} vs reactive ${reactive.violationMinutes}`);
  t.true(warm.cost < 2 * oracle.cost, `understudy $${warm.cost} vs oracle $${oracle.cost}`);
  t.true(warm.scaleActions > 0 && warm.coldStarts > 0);
  t.is(warm.restarts, 0);
  // A platform that restarts a promoted shadow (Kubernetes: a new pod) loses the warm shadows' head start to a cold start.
  t.true(cold.restarts > 0);
  t.true(cold.violationMinutes > warm.violationMinutes + 2, `cold promotion ${cold.violationMinutes} vs warm flip ${warm.violationMinutes}`);
  // The local platform promotes in place: no worse than a cold promotion (it restarts only demoted instances).
  t.true(local.violationMinutes <= cold.violationMinutes, `local ${local.violationMinutes} vs cold promotion ${cold.violationMinutes}`);
});

test("phpa forecasts its replica counts: on a surge that comes back daily it scales ahead of the HPA", (t) => {
  // Twenty days at 5 minutes (five of history: a daily season needs a few); every day at 10:00 the load rises by 75 % for two
  // hours (the forecasters reject points above twice the typical level as absurd).
  const day = 288;
  const points: Point[] = Array.from({ length: 20 * day }, (_, i) => ({ t: T0 + i * 300_000, v: i % day >= 120 && i % day < 144 ? 700 : 400 }));
  const trace = prepareTrace(points);
  const options = { hpa: { ...DEFAULT_HPA, targetUtilisation: TARGET }, forecast: { seed: 1 }, refitEverySec: 7 * 86_400, fitWindowSec: 21 * 86_400 };
  const phpa = simulate("daily", trace, new Phpa(trace, P, options), P);
  const reactive = simulate("daily", trace, new ReactiveHpa(options.hpa), P);
  t.true(phpa.result.violationMinutes < reactive.result.violationMinutes / 2, `phpa ${phpa.result.violationMinutes} vs reactive ${reactive.result.violationMinutes}`);
  // At 09:55 on the last day phpa already runs more instances than the HPA.
  const before = phpa.timeline.t.indexOf(T0 + 19 * 86_400_000 + 595 * 60_000);
  t.true(before > 0);
  t.true(phpa.timeline.instances[before] > reactive.timeline.instances[before], `phpa ${phpa.timeline.instances[before]} vs reactive ${reactive.timeline.instances[before]} instances at 09:55`);
});
