import test from "ava";
import { parsePolicy } from "../../../automation/decide";
import { Point } from "../../../automation/forecast";
import { DEFAULT_HPA, DEFAULT_SIM_PARAMS, ForecastTape, Oracle, ReactiveHpa, Trace, Understudy, prepareTrace, simulate } from "../../../automation/simulate";

const P = DEFAULT_SIM_PARAMS;
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
  const { result, timeline } = simulate("flat", trace, new Oracle(trace, P), P);
  const n = Math.ceil(1200 / (100 * 0.9));
  t.is(result.violationMinutes, 0);
  t.is(result.instanceMinutes, n * timeline.t.length);
  t.true(Math.abs(result.cost - (n * timeline.t.length * P.pricePerHour) / 60) < 1e-9);
  t.is(result.costWithDowntime, result.cost);
});

test("a surge: the oracle breaks nothing, the HPA falls behind its cold starts, understudy with a good forecast does not", (t) => {
  const trace = surge();
  const oracle = simulate("surge", trace, new Oracle(trace, P), P).result;
  const reactive = simulate("surge", trace, new ReactiveHpa(DEFAULT_HPA), P).result;
  const policy = parsePolicy({ horizonSec: 600, cpuThreshold: 0.9, targetUtilisation: 0.7, consolidation: { floor: 0.5, windowSec: 300 } });
  const understudy = simulate("surge", trace, new Understudy(perfectTape(trace, 3), 300, policy, P.maxInstances), P).result;
  t.is(oracle.violationMinutes, 0);
  t.true(reactive.violationMinutes >= 5, `reactive ${reactive.violationMinutes}`);
  t.true(reactive.costWithDowntime > reactive.cost);
  t.true(understudy.violationMinutes < reactive.violationMinutes / 2, `understudy ${understudy.violationMinutes} vs reactive ${reactive.violationMinutes}`);
  t.true(understudy.cost < 2 * oracle.cost, `understudy $${understudy.cost} vs oracle $${oracle.cost}`);
  t.true(understudy.scaleActions > 0 && understudy.coldStarts > 0);
});
