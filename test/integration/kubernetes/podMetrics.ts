// The series a pod's container would export: the demo service's HTTP metrics (prom-client's names and
// labels) and CloudNativePG's exporter with understudy's custom queries (metrics.ts STORE_QUERIES).

/** What one instance reports; the test changes it while Prometheus scrapes. */
export interface InstanceLoad {
  /** Requests/s it serves (not mirrored). */
  rps: number;
  /** CPU cores it uses. */
  cpu: number;
  /** false: its /metrics answers 503, so Prometheus records up 0. */
  up: boolean;
}

/** What the stores' exporters report. */
export interface StoreReport {
  /** The primary's current WAL position (bytes). */
  walPosition: number;
  /** Lag per subscription (application_name) as the primary's walsenders see it. */
  lagSeconds: number;
  /** A replica's received position and what it has not applied yet. */
  receivedBytes: number;
  pendingBytes: number;
}

export interface PodEndpoint {
  name: string;
  ip: string;
  port: number;
  /** The understudy.io/instance label of an app pod. */
  instance?: string;
  /** A store pod: its role (primary/replica) and its subscription's name. */
  store?: { primary: boolean; subscription: string };
}

export interface PodMetricsState {
  pods: PodEndpoint[];
  load: Record<string, InstanceLoad>;
  defaultLoad?: InstanceLoad;
  store: StoreReport;
  /** Subscriptions the primary's walsenders report on (application names). */
  subscriptions: string[];
}

/** A counter that grows with time at the current rate, as a process's would. */
class Counter {
  private value = 0;
  private last = Date.now();
  read(rate: number): number {
    const now = Date.now();
    this.value += (rate * (now - this.last)) / 1000;
    this.last = now;
    return this.value;
  }
}

export interface Counters {
  requests: Counter;
  cpu: Counter;
}

export const newCounters = (): Counters => ({ requests: new Counter(), cpu: new Counter() });

export function appMetrics(l: InstanceLoad, c: Counters): string {
  const requests = c.requests.read(l.rps);
  const labels = 'method="GET",route="/orders",mirrored="false"';
  // Every request takes 20 ms: all of them fall in the 0.025 s bucket and above.
  return [
    "# TYPE http_requests_total counter",
    `http_requests_total{${labels},status="200"} ${requests}`,
    "# TYPE http_request_duration_seconds histogram",
    `http_request_duration_seconds_bucket{${labels},le="0.01"} 0`,
    `http_request_duration_seconds_bucket{${labels},le="0.025"} ${requests}`,
    `http_request_duration_seconds_bucket{${labels},le="+Inf"} ${requests}`,
    `http_request_duration_seconds_sum{${labels}} ${requests * 0.02}`,
    `http_request_duration_seconds_count{${labels}} ${requests}`,
    "# TYPE process_cpu_seconds_total counter",
    `process_cpu_seconds_total ${c.cpu.read(l.cpu)}`,
    "# TYPE process_resident_memory_bytes gauge",
    "process_resident_memory_bytes 83886080",
    "",
  ].join("\n");
}

export function storeMetrics(pod: { primary: boolean; subscription: string }, r: StoreReport, subscriptions: string[]): string {
  const lines = pod.primary
    ? [
        `cnpg_understudy_wal_position_bytes ${r.walPosition}`,
        ...subscriptions.flatMap((s) => [
          `cnpg_understudy_replication_lag_seconds{application_name="${s}"} ${r.lagSeconds}`,
          `cnpg_understudy_replication_lag_bytes{application_name="${s}"} 0`,
          `cnpg_understudy_replication_synchronous{application_name="${s}"} 1`,
        ]),
      ]
    : [
        `cnpg_understudy_wal_position_bytes ${r.walPosition}`,
        `cnpg_understudy_subscription_received_bytes{subname="${pod.subscription}"} ${r.receivedBytes}`,
        `cnpg_understudy_subscription_pending_bytes{subname="${pod.subscription}"} ${r.pendingBytes}`,
      ];
  return `${lines.join("\n")}\n`;
}
