// `understudy`: decide() itself, fed as the runner feeds it — per-instance metrics, a forecast
// summarised from the forecaster's quantiles and P(rise) — with its changes carried out on the
// virtual cluster. The desired state's counts follow the cluster each tick, as the runner's follow
// the deployed config. It decides once per runner interval (the runner's default is 30 s).
import { DecideState, Change, Policy, decide, initialServiceState, summariseForecast } from "../../decide";
import type { Point } from "../../forecast";
import { ForecastTape, TapeReader } from "../tape";
import type { ClusterView, SimAction, Strategy } from "../types";
import { SyncClock } from "./hpa";

const SERVICE = "svc";

function toAction(c: Change): SimAction | null {
  switch (c.kind) {
    case "promote":
      return { kind: "promote", id: c.instance };
    case "drain":
      return { kind: "remove", id: c.instance };
    case "demote":
      return { kind: "demote", id: c.instance };
    case "setReplicas":
      return { kind: "setLive", count: c.to };
    case "setShadows":
      return { kind: "setShadows", count: c.to };
    case "setMirror":
      return { kind: "setMirror", percent: c.to };
    case "setWeights":
      return { kind: "setWeights", percent: c.to };
    case "completeRollout":
      return { kind: "swapRoles" };
    case "restore":
      return null; // only the desired state's host bookkeeping
  }
}

export interface UnderstudyOptions {
  /** The trace's step: the forecast's step. */
  stepSec: number;
  policy: Policy;
  hosts: number;
  /** The runner's tick. */
  intervalSec: number;
}

export class Understudy implements Strategy {
  private state: DecideState;
  private readonly forecaster: TapeReader;
  private readonly clock: SyncClock;
  private readonly stepSec: number;
  private readonly policy: Policy;

  /** `tape`: forecasts over at least horizonSteps(policy) steps, P(rise) at the policy's r and horizon. */
  constructor(
    tape: ForecastTape,
    o: UnderstudyOptions,
    readonly name = "understudy",
  ) {
    this.forecaster = new TapeReader(tape);
    this.clock = new SyncClock(o.intervalSec);
    this.stepSec = o.stepSec;
    this.policy = o.policy;
    const hosts = o.hosts;
    const start = tape.t[0];
    this.state = {
      platform: "local",
      hosts: Array.from({ length: hosts }, (_, i) => `slot-${i + 1}`),
      services: {
        [SERVICE]: initialServiceState({ replicas: 0, shadows: 0, weightPercent: 0, mirrorPercent: 0, maxLagSec: null }, start),
      },
    };
  }

  observe(point: Point): void {
    this.forecaster.observe(point);
  }

  tick(view: ClusterView): SimAction[] {
    if (!this.clock.due(view.now)) return [];
    const s = this.state.services[SERVICE];
    s.replicas = view.instances.filter((x) => x.role === "live").length;
    s.shadows = view.instances.length - s.replicas;
    s.mirrorPercent = view.mirrorPercent;
    s.weightPercent = view.weightPercent;
    const forecast = summariseForecast(
      {
        at: view.now,
        currentLoad: view.demand,
        stepSec: this.stepSec,
        steps: this.forecaster.forecast,
        pRise: this.forecaster.pRise,
      },
      this.policy,
    );
    const d = decide(this.state, { now: view.now, services: { [SERVICE]: view.observations } }, { [SERVICE]: forecast }, this.policy);
    this.state = d.state;
    return d.changes.map(toAction).filter((a): a is SimAction => a !== null);
  }
}
