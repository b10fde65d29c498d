// Prometheus metrics of the demo service.
//
// Default labels are service, instance and host. The role is deliberately NOT a default label: it can
// change at run time (POST /admin/role), and a changing default label would split every series. The
// current role is exported only by the understudy_role{role} gauge (1 for the current role, 0 otherwise);
// join on instance to slice other series by role.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ROLES, type Role } from "./config";

export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface MetricLabels {
  service: string;
  instance: string;
  host: string;
}

export class ServiceMetrics {
  readonly requests: Counter<"method" | "route" | "status" | "mirrored">;
  readonly duration: Histogram<"method" | "route" | "mirrored">;
  readonly role: Gauge<"role">;
  readonly mirrored: Counter<"route">;

  constructor(
    readonly registry: Registry,
    labels: MetricLabels,
    opts: { defaultMetrics?: boolean } = {},
  ) {
    registry.setDefaultLabels({ service: labels.service, instance: labels.instance, host: labels.host });
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
    const registers = [registry];
    this.requests = new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by method, route template, status code and whether the request was mirrored",
      labelNames: ["method", "route", "status", "mirrored"],
      registers,
    });
    this.duration = new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration from first byte received to response finished",
      labelNames: ["method", "route", "mirrored"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.role = new Gauge({ name: "understudy_role", help: "1 for the instance's current role, 0 for the others", labelNames: ["role"], registers });
    this.mirrored = new Counter({
      name: "understudy_mirrored_requests_total",
      help: "Requests received with X-Understudy-Mirror: 1 (copies of live traffic)",
      labelNames: ["route"],
      registers,
    });
  }

  setRole(role: Role): void {
    for (const r of ROLES) this.role.set({ role: r }, r === role ? 1 : 0);
  }
}
