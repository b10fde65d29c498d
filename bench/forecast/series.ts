// The benchmark's series: real NAB traces (and any CSV given with --series), with their calendars.
import { CalendarEvent } from "../../automation/forecast";

export interface SeriesSpec {
  /** NAB key (<category>/<file>.csv) or a path for --series. */
  key: string;
  timeZone?: string;
  events?: CalendarEvent[];
}

/**
 * Public holidays and scheduled city events in New York over the taxi trace (July 2014 – January
 * 2015): known in advance, so a calendar may hold them. The blizzard of 26–27 January 2015 was not
 * scheduled and is deliberately absent.
 */
const NEW_YORK_2014: CalendarEvent[] = [
  { name: "Independence Day", start: "2014-07-04", end: "2014-07-04", yearly: true },
  { name: "Labor Day", start: "2014-09-01", end: "2014-09-01" },
  { name: "NYC Marathon", start: "2014-11-02", end: "2014-11-02" },
  { name: "Thanksgiving", start: "2014-11-27", end: "2014-11-28" },
  { name: "Christmas", start: "2014-12-24", end: "2014-12-26", yearly: true },
  { name: "New Year", start: "2014-12-31", end: "2015-01-01", yearly: true },
  { name: "Martin Luther King Jr. Day", start: "2015-01-19", end: "2015-01-19" },
];

/** NAB's timestamps carry no zone; they are read as UTC, so the calendar uses UTC dates too. */
export const NAB_SERIES: SeriesSpec[] = [
  { key: "realKnownCause/nyc_taxi.csv", timeZone: "UTC", events: NEW_YORK_2014 },
  { key: "realAWSCloudwatch/elb_request_count_8c0756.csv" },
  { key: "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv" },
  { key: "realTweets/Twitter_volume_AMZN.csv" },
  { key: "realAdExchange/exchange-2_cpc_results.csv" },
  { key: "realTraffic/occupancy_t4013.csv" },
  { key: "realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv" },
];

/**
 * Tuning series (`--tune`): every design choice of the forecasting models (features, penalties,
 * combination weights, LSTM settings) is compared on these only, never on NAB_SERIES above, so the
 * evaluation series stay unseen by the choices.
 */
export const TUNING_SERIES: SeriesSpec[] = [
  { key: "realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv" },
  { key: "realAWSCloudwatch/rds_cpu_utilization_e47b3b.csv" },
  { key: "realAWSCloudwatch/ec2_network_in_257a54.csv" },
  { key: "realTweets/Twitter_volume_GOOG.csv" },
  { key: "realAdExchange/exchange-3_cpc_results.csv" },
  { key: "realTraffic/occupancy_6005.csv" },
  { key: "realAWSCloudwatch/grok_asg_anomaly.csv" },
];

/** Short display name: the file name without extension. */
export function shortName(key: string): string {
  return key.replace(/^.*\//, "").replace(/\.csv$/, "");
}
