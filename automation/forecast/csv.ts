// Reading a "timestamp,value" CSV (NAB's format) into points. Timestamps without a zone are UTC.
import { ForecastInputError, Point } from "./types";

const NAIVE_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/;

function parseTimestamp(text: string): number {
  const naive = NAIVE_TIMESTAMP.exec(text);
  if (naive) return Date.parse(`${naive[1]}T${naive[2]}Z`);
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  return Date.parse(text);
}

/**
 * Parses CSV text with a header whose first two columns are timestamp and value. Unparsable values
 * become NaN (the forecaster rejects and reports them); an empty file, a wrong header or an
 * unparsable timestamp is an error naming the line.
 */
export function parseSeriesCsv(text: string, source = "series"): Point[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new ForecastInputError(`${source}: empty CSV`);
  const header = lines[0].split(",").map((h) => h.trim().toLowerCase());
  if (header[0] !== "timestamp" || header[1] !== "value") {
    throw new ForecastInputError(`${source}: header must start with "timestamp,value", got "${lines[0]}"`);
  }
  if (lines.length === 1) throw new ForecastInputError(`${source}: no data rows after the header`);
  return lines.slice(1).map((line, i) => {
    const [stamp = "", value = ""] = line.split(",").map((c) => c.trim());
    const t = parseTimestamp(stamp);
    if (!Number.isFinite(t)) throw new ForecastInputError(`${source}: line ${i + 2}: unparsable timestamp "${stamp}"`);
    return { t, v: value === "" ? NaN : Number(value) };
  });
}
