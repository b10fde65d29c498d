import test from "ava";
import { TapeReader, recordTape } from "../../../automation/simulate";

const T0 = Date.UTC(2024, 0, 1);
const points = Array.from({ length: 3 * 48 }, (_, i) => ({ t: T0 + i * 1_800_000, v: 100 + 50 * Math.sin((2 * Math.PI * i) / 48) }));

test("a tape holds one entry per known point, refits on schedule and plays back as points arrive", (t) => {
  const history = points.slice(0, 96);
  const replay = points.slice(96);
  const tape = recordTape(history, replay, { kind: "seasonal-naive", options: {}, refitEverySec: 12 * 3600, fitWindowSec: 2 * 86_400, steps: 2, rise: { r: 0.2, steps: 1 } });
  t.is(tape.t.length, replay.length + 1);
  t.is(tape.fits, 3);
  t.true(tape.forecasts.every((f) => f.length === 2 && f[0].quantiles.length === 6));
  t.true(tape.pRise.every((p) => p >= 0 && p <= 1));
  const reader = new TapeReader(tape);
  t.is(reader.forecast, tape.forecasts[0]);
  reader.observe(replay[0]);
  t.is(reader.forecast, tape.forecasts[1]);
  reader.observe(replay[10]);
  t.is(reader.pRise, tape.pRise[11]);
  t.true(reader.forecast[0].t > replay[10].t);
});
