import test from "ava";
import { naiveScale, pinball, score } from "../../../bench/forecast/metrics";

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-12;

test("pinball loss weighs under- and over-forecasts by the level", (t) => {
  t.true(close(pinball(10, 8, 0.8), 1.6));
  t.true(close(pinball(10, 12, 0.8), 0.4));
  t.is(pinball(10, 10, 0.5), 0);
});

test("naive scale is the mean seasonal-lag difference", (t) => {
  t.is(naiveScale([1, 2, 3, 5, 7, 9], 3), 5);
});

test("scores: MASE, coverage, Brier, skill, precision and recall", (t) => {
  const q = (m: number) => [m - 3, m - 2, m, m + 1, m + 2, m + 3];
  const s = score(
    [
      { actual: 10, quantiles: q(10), probability: 0.9, rose: true },
      { actual: 14, quantiles: q(10), probability: 0.1, rose: false },
      { actual: 10, quantiles: q(12), probability: 0.85, rose: false },
      { actual: 10, quantiles: q(10), probability: 0.2, rose: true },
    ],
    2,
  );
  t.is(s.mase, (0 + 4 + 2 + 0) / 4 / 2);
  t.is(s.coverage80, 0.75);
  t.is(s.baseRate, 0.5);
  t.true(close(s.brier, (0.01 + 0.01 + 0.7225 + 0.64) / 4));
  t.true(close(s.brierSkill as number, 1 - s.brier / 0.25));
  t.is(s.precision, 0.5);
  t.is(s.recall, 0.5);
  t.is(s.brierSkillRaw, null, "no raw probabilities given");
});

test("scores: the skill of the raw probabilities when they are given", (t) => {
  const q = [0, 0, 0, 0, 0, 0];
  const s = score(
    [
      { actual: 0, quantiles: q, probability: 1, rawProbability: 0.5, rose: true },
      { actual: 0, quantiles: q, probability: 0, rawProbability: 0.5, rose: false },
    ],
    1,
  );
  t.is(s.brierSkill, 1);
  t.is(s.brierSkillRaw, 0);
});
