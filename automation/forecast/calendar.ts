// Calendar inputs: local time of day, day of week and configured events, in an IANA time zone.
import { CalendarEvent, ForecastInputError } from "./types";

export interface CalendarInfo {
  /** Fraction of the local day elapsed, in [0, 1). */
  dayFraction: number;
  /** Local day of week, 0 = Sunday. */
  weekday: number;
  /** Name of the first configured event covering this instant, or null. */
  event: string | null;
}

export type Calendar = (t: number) => CalendarInfo;

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

type EventRule = (localDate: string, t: number) => boolean;

function eventRule(event: CalendarEvent): EventRule {
  const { name, start, end } = event;
  if (typeof name !== "string" || name === "") throw new ForecastInputError("calendar event without a name");
  if (typeof start !== "string" || typeof end !== "string") {
    throw new ForecastInputError(`calendar event "${name}": start and end must be ISO strings`);
  }
  const datesOnly = DATE_ONLY.test(start) && DATE_ONLY.test(end);
  if (datesOnly) {
    if (Number.isNaN(Date.parse(start)) || Number.isNaN(Date.parse(end))) {
      throw new ForecastInputError(`calendar event "${name}": invalid date ${start}..${end}`);
    }
    if (event.yearly) {
      const from = start.slice(5);
      const to = end.slice(5);
      // A yearly range may wrap the new year (Dec 24 .. Jan 2).
      return from <= to
        ? (d) => d.slice(5) >= from && d.slice(5) <= to
        : (d) => d.slice(5) >= from || d.slice(5) <= to;
    }
    if (end < start) throw new ForecastInputError(`calendar event "${name}": end ${end} before start ${start}`);
    return (d) => d >= start && d <= end;
  }
  if (event.yearly) throw new ForecastInputError(`calendar event "${name}": yearly events take dates, not date-times`);
  const from = Date.parse(start);
  const to = Date.parse(end);
  if (Number.isNaN(from) || Number.isNaN(to)) {
    throw new ForecastInputError(`calendar event "${name}": unparsable ISO start/end ${start}..${end}`);
  }
  if (to <= from) throw new ForecastInputError(`calendar event "${name}": end ${end} not after start ${start}`);
  return (_d, t) => t >= from && t < to;
}

/** Builds the calendar; throws ForecastInputError on an unknown time zone or a malformed event. */
export function makeCalendar(timeZone: string, events: readonly CalendarEvent[]): Calendar {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
  } catch {
    throw new ForecastInputError(`unknown time zone "${timeZone}"`);
  }
  const rules = events.map((e) => ({ name: e.name, matches: eventRule(e) }));
  return (t) => {
    const parts: Record<string, string> = {};
    for (const p of format.formatToParts(new Date(t))) parts[p.type] = p.value;
    const localDate = `${parts.year}-${parts.month}-${parts.day}`;
    const seconds = Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
    const hit = rules.find((r) => r.matches(localDate, t));
    return { dayFraction: seconds / 86400, weekday: WEEKDAYS[parts.weekday] ?? 0, event: hit ? hit.name : null };
  };
}
