import test from "ava";
import { RobustZDetector, createForecaster, detectAnomalies } from "../../../automation/forecast";
import { makeCalendar } from "../../../automation/forecast/calendar";
import { corpusScore, nabScore } from "../../../bench/forecast/nab-score";
import { HOUR, daily, gaussian, series } from "./synthetic";

const noise = gaussian(5);
const SPIKE = 24 * 12 + 5;
const spiky = series(24 * 16, HOUR, (i) => daily(i) + 2 * noise() + (i === SPIKE ? 400 : 0));

test("the robust z-score flags an outlier and accepts a lasting shift after maxRun", (t) => {
  const d = new RobustZDetector({ threshold: 5, window: 100, maxRun: 3 });
  const draw = gaussian(1);
  for (let i = 0; i < 100; i++) t.false(d.observe(0.01 * draw()).anomaly);
  t.true(d.observe(1).anomaly);
  t.false(d.observe(0).anomaly);
  const shifted = [1, 1, 1, 1, 1].map((r) => d.observe(r).anomaly);
  t.deepEqual(shifted, [true, true, true, false, false]);
});

test("a spike is flagged online, kept out of Holt-Winters, and does not bend the forecast", (t) => {
  const scan = detectAnomalies(spiky);
  const flagged = scan.slots.map((s, i) => (s.anomaly ? i : -1)).filter((i) => i >= 0);
  t.deepEqual(flagged, [SPIKE]);
  t.true(scan.slots[SPIKE].z > 6);

  const f = createForecaster("holt-winters");
  const report = f.fit(spiky.slice(0, SPIKE + 1));
  t.true(report.notes.some((n) => /1 anomalous point\(s\) flagged in the history/.test(n)));
  const next = f.predict(1)[0].quantiles[2];
  t.true(Math.abs(next - daily(SPIKE + 1)) < 10, `forecast after the spike ${next}`);
});

test("calendar: local time of day and weekday in the configured zone; one-off and yearly events", (t) => {
  const calendar = makeCalendar("America/New_York", [
    { name: "launch", start: "2024-03-10T12:00:00Z", end: "2024-03-10T14:00:00Z" },
    { name: "holidays", start: "2023-12-24", end: "2024-01-02", yearly: true },
  ]);
  const noonUtc = calendar(Date.UTC(2024, 2, 10, 12, 30));
  t.is(noonUtc.event, "launch");
  t.is(noonUtc.weekday, 0);
  t.true(Math.abs(noonUtc.dayFraction - 8.5 / 24) < 1e-9, "08:30 in New York (EDT from that morning)");
  t.is(calendar(Date.UTC(2025, 0, 1, 17)).event, "holidays", "yearly range wrapping the new year");
  t.is(calendar(Date.UTC(2025, 0, 5, 17)).event, null);
  t.is(calendar(Date.UTC(2024, 0, 1, 3)).event, "holidays", "local date is still Dec 31 in New York");
});

test("NAB scoring: a detection at a window's start scores 100, none scores 0, false positives cost", (t) => {
  const times = Array.from({ length: 1000 }, (_, i) => i * 60_000);
  const windows: [number, number][] = [[times[500], times[549]]];
  const at = (...idx: number[]) => times.map((_, i) => idx.includes(i));
  t.is(Math.round(nabScore(times, at(500), windows).score), 100);
  t.is(nabScore(times, at(), windows).score, 0);
  const late = nabScore(times, at(540), windows).score;
  t.true(late > 0 && late < 100);
  const noisy = nabScore(times, at(500, 700, 800), windows);
  t.true(noisy.score < 100);
  t.like(noisy, { windows: 1, detectedWindows: 1, falsePositives: 2 });
  t.is(nabScore(times, at(100), windows).falsePositives, 0, "probationary detections are not scored");
  t.is(Math.round(corpusScore([nabScore(times, at(500), windows), nabScore(times, at(), windows)])), 50);
});
