// One interface for the two ways changes reach a shadow's store: PostgreSQL logical replication
// (publication/subscription) and a RabbitMQ stream fed from a replication slot. The exporter and
// the promotion module only talk to this.
import type { ReplicationTopology } from "../../components/postgres/topology";

export type { ReplicationTopology };

/** How a shadow's replica stands, as the exporter exports it and the promotion module judges it. */
export type ReplicaState = "streaming" | "catchup" | "initializing" | "stopped" | "disabled" | "missing" | "unreachable";

export interface ReplicaObservation {
  host: string;
  state: ReplicaState;
  /** Bytes of the primary's WAL this replica has not applied (primary reachable), else undefined. */
  lagBytes?: number;
  /** Seconds behind, when the driver can tell (caught up = 0). */
  lagSeconds?: number;
  /** stream driver: messages in the stream not yet applied. */
  lagOffsets?: number;
  /** Position applied, as a byte offset into the primary's WAL (commit end LSN). */
  appliedLsn?: bigint;
  applyErrors: number;
  /** Initial-copy errors (logical) or consumer restarts after an error (stream). */
  syncErrors: number;
  /** The primary counts this replica for synchronous commit. */
  syncStandby: boolean;
  error?: string;
}

export interface PrimaryObservation {
  host: string;
  reachable: boolean;
  currentLsn?: bigint;
  readOnly?: boolean;
  error?: string;
}

export interface Observation {
  primary: PrimaryObservation;
  replicas: ReplicaObservation[];
}

/** The record a fenced primary writes after its last acknowledged write. */
export interface FenceMarker {
  /** End of the marker's WAL record, as a byte offset. */
  lsn: bigint;
  /** Its content, unique per promotion: what a change-stream consumer records when it applies it. */
  token: string;
}

export interface ReplicationDriver {
  readonly name: "logical" | "stream";
  observe(t: ReplicationTopology): Promise<Observation>;
  /**
   * Resolve once `host` has applied everything up to the (fenced) primary's marker; reject at the
   * deadline with how far it got.
   */
  waitApplied(t: ReplicationTopology, host: string, marker: FenceMarker, deadline: number): Promise<void>;
  /** Stop applying the old primary's changes on this replica, before it takes writes. */
  detach(t: ReplicationTopology, host: string): Promise<void>;
}
