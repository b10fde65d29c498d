// The virtual cluster: identical instances behind one load balancer. The load is spread in proportion
// to capacity (every instance at the same utilisation ρ); each instance is an M/M/1 queue, so p99 is
// ln(100) / (μ (1 − ρ)). New instances cold-start, then serve at reduced capacity until warm; shadows
// warm up on mirrored traffic. A role change (promotion, demotion, a rollout's swap) costs what the
// platform's implementation costs (SimParams.promotion): a restart from cold, or a warm flip.
import type { InstanceObservation } from "../decide";
import { ClusterView, InstanceView, SimAction, SimParams, SimRole, roleChange } from "./types";

/** p99 reported by an overloaded instance: its clients time out. */
const TIMEOUT_MS = 10_000;
/** An idle shadow's caches go stale ten times slower than they warm. */
const STALE_RATE = 0.1;

interface Instance {
  id: string;
  role: SimRole;
  readyAt: number;
  warmth: number;
}

export interface TickLoad {
  /** Highest utilisation of the pools carrying traffic (live, and shadows under a canary weight). */
  utilisation: number;
  /** Requests/s the ready live instances serve at 100 % CPU. */
  liveCapacity: number;
  instances: number;
}

export class Cluster {
  private instances: Instance[] = [];
  private nextId = 1;
  private mirrorPercent = 0;
  private weightPercent = 0;
  scaleActions = 0;
  coldStarts = 0;
  /** Role changes that restarted the instance (the platform cannot flip a role warm). */
  restarts = 0;

  constructor(
    private readonly p: SimParams,
    now: number,
    initialLive: number,
  ) {
    for (let i = 0; i < initialLive; i++) this.instances.push({ id: this.newId(), role: "live", readyAt: now, warmth: 1 });
  }

  private newId(): string {
    return `vm-${this.nextId++}`;
  }

  private capacity(x: Instance, now: number): number {
    if (now < x.readyAt) return 0;
    const f = this.p.coldCapacityFraction;
    return this.p.capacityPerInstance * (f + (1 - f) * x.warmth);
  }

  /** Utilisation and metrics at `now` under `demand`. */
  measure(now: number, demand: number): { load: TickLoad; view: ClusterView } {
    const ready = this.instances.filter((x) => now >= x.readyAt);
    const live = ready.filter((x) => x.role === "live");
    const shadows = ready.filter((x) => x.role === "shadow");
    const weight = shadows.length > 0 ? this.weightPercent / 100 : 0;
    const mirror = shadows.length > 0 ? this.mirrorPercent / 100 : 0;
    const liveLoad = demand * (1 - weight) * (1 + this.p.mirrorOverhead * mirror);
    const liveCapacity = live.reduce((s, x) => s + this.capacity(x, now), 0);
    const shadowCapacity = shadows.reduce((s, x) => s + this.capacity(x, now), 0);
    const rho = (load: number, cap: number): number => (load <= 0 ? 0 : cap > 0 ? load / cap : Infinity);
    const liveRho = rho(liveLoad, liveCapacity);
    const shadowRho = rho(demand * weight, shadowCapacity);
    const mirroredEach = shadows.length > 0 ? (demand * mirror) / shadows.length : 0;

    const observations: InstanceObservation[] = ready.map((x) => {
      const cap = this.capacity(x, now);
      const r = x.role === "live" ? liveRho : shadowRho;
      // Offered, not served: what arrives at the instance, uncapped (see ClusterView.observations).
      const arriving = r * cap + (x.role === "shadow" ? mirroredEach : 0);
      const offered = cap > 0 ? arriving / cap : Infinity;
      return {
        instance: x.id,
        host: x.id,
        role: x.role,
        at: now,
        requestRate: arriving,
        cpu: offered,
        p99Ms: offered < 1 ? (1000 * Math.log(100)) / (cap * (1 - offered)) : TIMEOUT_MS,
        errorRate: r > 1 ? 1 - 1 / r : 0,
        up: true,
        replicationLagSec: 0,
      };
    });
    const instances: InstanceView[] = this.instances.map((x) => ({ id: x.id, role: x.role, ready: now >= x.readyAt, readyAt: x.readyAt, warmth: x.warmth }));
    return {
      load: { utilisation: Math.max(liveRho, shadowRho), liveCapacity, instances: this.instances.length },
      view: { now, demand, instances, observations, mirrorPercent: this.mirrorPercent, weightPercent: this.weightPercent },
    };
  }

  private resize(role: SimRole, count: number, now: number): boolean {
    const mine = this.instances.filter((x) => x.role === role);
    const want = Math.max(0, Math.min(count, this.p.maxInstances - (this.instances.length - mine.length)));
    if (want > mine.length) {
      for (let i = mine.length; i < want; i++) this.instances.push({ id: this.newId(), role, readyAt: now + this.p.coldStartSec * 1000, warmth: 0 });
      this.coldStarts += want - mine.length;
    } else if (want < mine.length) {
      // Stop what is worth least: booting instances (newest first), then the coldest.
      const order = [...mine].sort((a, b) => b.readyAt - a.readyAt || a.warmth - b.warmth);
      const stop = new Set(order.slice(0, mine.length - want));
      this.instances = this.instances.filter((x) => !stop.has(x));
    }
    return want !== mine.length;
  }

  /** A role change as the platform implements it: in place and warm, or a restart from cold. */
  private changeRole(x: Instance, role: SimRole, now: number): void {
    x.role = role;
    const how = roleChange(this.p, role);
    x.readyAt = Math.max(x.readyAt, now + how.readySec * 1000);
    if (how.keepsWarmth) return;
    x.warmth = 0;
    this.restarts++;
  }

  apply(actions: SimAction[], now: number): void {
    for (const a of actions) {
      let changed = false;
      switch (a.kind) {
        case "setLive":
          changed = this.resize("live", a.count, now);
          break;
        case "setShadows":
          changed = this.resize("shadow", a.count, now);
          break;
        case "promote":
        case "demote": {
          const [from, to]: SimRole[] = a.kind === "promote" ? ["shadow", "live"] : ["live", "shadow"];
          const x = this.instances.find((i) => i.id === a.id && i.role === from);
          if (x) this.changeRole(x, to, now);
          changed = x !== undefined;
          break;
        }
        case "remove": {
          const before = this.instances.length;
          this.instances = this.instances.filter((i) => i.id !== a.id);
          changed = this.instances.length < before;
          break;
        }
        case "setMirror":
          changed = this.mirrorPercent !== a.percent;
          this.mirrorPercent = a.percent;
          break;
        case "setWeights":
          changed = this.weightPercent !== a.percent;
          this.weightPercent = a.percent;
          break;
        case "swapRoles":
          for (const x of this.instances) this.changeRole(x, x.role === "live" ? "shadow" : "live", now);
          this.weightPercent = 0;
          changed = true;
          break;
      }
      if (changed) this.scaleActions++;
    }
  }

  /** Warmth over the next `dt`: instances carrying traffic (served or mirrored) warm up; idle shadows cool. */
  warm(now: number, dtSec: number): void {
    const step = dtSec / this.p.warmUpSec;
    for (const x of this.instances) {
      if (now < x.readyAt) continue;
      const busy = x.role === "live" || this.mirrorPercent > 0 || this.weightPercent > 0;
      x.warmth = busy ? Math.min(1, x.warmth + step) : Math.max(0, x.warmth - step * STALE_RATE);
    }
  }
}
