// The stream driver as the exporter and the promotion module see it: each shadow's position lives
// in its own store (understudy.cdc_position); the primary's view is its WAL position and whether the
// publisher is connected. Lag in offsets needs the stream's tail, which a long-lived process (the
// exporter) reads when it observes.
import { lsnToBigInt, withClient } from "../../components/postgres/sql";
import { observePrimary, OBSERVER } from "./observer";
import { FenceMarker, Observation, PrimaryObservation, ReplicaObservation, ReplicationDriver, ReplicationTopology } from "./driver";
import { brokerFromUrl, Client as BrokerClient, connectBroker, Offset } from "./streamClient";
import { detachPosition, Position, readPosition } from "./streamPosition";

/** A consumer that applied nothing for this long while behind is not keeping up. */
const STALL_MS = 2500;

const slotOf = (t: ReplicationTopology): string => `understudy_cdc_${t.service.replace(/-/g, "_")}`;

interface PrimaryView {
  obs: PrimaryObservation;
  publisher?: { state: string; syncState: string; sentLsn: bigint };
}

async function primaryView(t: ReplicationTopology): Promise<PrimaryView> {
  const v = await observePrimary(t, async (c) => {
    const p = await c.query<{ state: string; sync_state: string; sent: string }>(
      "SELECT state, sync_state, sent_lsn::text AS sent FROM pg_stat_replication WHERE application_name = $1",
      [slotOf(t)],
    );
    return p.rows[0] ? { state: p.rows[0].state, syncState: p.rows[0].sync_state, sentLsn: lsnToBigInt(p.rows[0].sent) } : undefined;
  });
  return { obs: v.obs, publisher: v.more };
}

/** How long a tail reading waits for the last chunk; an empty stream sends none. */
const TAIL_WAIT_MS = 300;
/** How long a whole tail reading may take (connect, attach, wait, close). */
const TAIL_TIMEOUT_MS = 2000;

/** One broker connection per stream and process, opened on first use (long-lived processes only). */
const brokers = new Map<string, Promise<BrokerClient>>();
let readTails = false;

/** Long-lived processes (the exporter) read each stream's tail, for lag in offsets. */
export function readStreamTails(): void {
  readTails = true;
}

/**
 * The stream's last offset, read when observed: a consumer attached at the last chunk takes that
 * chunk's offsets and is closed. It used to follow the whole stream, and decoding every entry only
 * to learn the newest offset cost the exporter and the broker as much as a fourth shadow. (The
 * broker's stream-stats command would answer directly; Debian's RabbitMQ 3.10 predates it.)
 */
async function streamTail(t: ReplicationTopology): Promise<bigint | undefined> {
  if (!t.stream || !readTails) return undefined;
  // A broker that accepts the connection but never answers must not hold the scrape: no tail then.
  return Promise.race([readTail(t.stream), new Promise<undefined>((r) => setTimeout(() => r(undefined), TAIL_TIMEOUT_MS).unref())]);
}

async function readTail(stream: NonNullable<ReplicationTopology["stream"]>): Promise<bigint | undefined> {
  const key = `${stream.url}|${stream.name}`;
  let broker = brokers.get(key);
  if (!broker) {
    broker = connectBroker(brokerFromUrl(stream.url));
    brokers.set(key, broker);
  }
  try {
    const client = await broker;
    let tail: bigint | undefined;
    let seen: () => void = () => undefined;
    const delivered = new Promise<void>((r) => (seen = r));
    // A chunk's entries arrive together: the last one handed over before the next turn is the tail.
    const consumer = await client.declareConsumer({ stream: stream.name, offset: Offset.last() }, (m) => {
      if (m.offset !== undefined && (tail === undefined || m.offset > tail)) tail = m.offset;
      setImmediate(seen);
    });
    await Promise.race([delivered, new Promise((r) => setTimeout(r, TAIL_WAIT_MS))]);
    await consumer.close();
    return tail;
  } catch {
    brokers.delete(key); // reconnect on the next observation; lag in offsets is unknown meanwhile
    return undefined;
  }
}

function replicaFrom(host: string, pos: Position | undefined, p: PrimaryView, tail: bigint | undefined, now: number): ReplicaObservation {
  const base = { host, applyErrors: pos?.applyErrors ?? 0, syncErrors: 0, syncStandby: p.publisher?.syncState === "quorum" || p.publisher?.syncState === "sync" };
  if (!pos) return { ...base, state: "initializing" };
  if (pos.detached) return { ...base, state: "disabled", appliedLsn: pos.lsn };
  const lagBytes = p.obs.currentLsn !== undefined ? Math.max(0, Number(p.obs.currentLsn - pos.lsn)) : undefined;
  const lagOffsets = tail !== undefined ? Math.max(0, Number(tail - pos.offset)) : undefined;
  const applied = pos.appliedAt?.getTime() ?? 0;
  // Applied everything the publisher was sent: nothing to wait for, however long ago that was.
  const caughtUp = p.publisher !== undefined && pos.lsn >= p.publisher.sentLsn;
  // Keeping up (heartbeats arrive every second while WAL moves): the delay of the last entry applied;
  // stalled: the time since the last commit it applied, growing until it moves again.
  const stalled = !caughtUp && now - applied > STALL_MS;
  const lagSeconds = caughtUp ? 0 : pos.commitTime ? Math.max(0, ((stalled ? now : applied) - pos.commitTime.getTime()) / 1000) : undefined;
  const state = p.obs.reachable && !p.publisher ? "stopped" : stalled && p.obs.reachable ? "catchup" : "streaming";
  return { ...base, state, lagBytes, lagOffsets, lagSeconds, appliedLsn: pos.lsn };
}

export const streamDriver: ReplicationDriver = {
  name: "stream",

  async observe(t: ReplicationTopology): Promise<Observation> {
    const p = await primaryView(t);
    const tail = await streamTail(t);
    const now = Date.now();
    const replicas = await Promise.all(
      t.replicas.map(async (r): Promise<ReplicaObservation> => {
        try {
          const pos = await withClient(r.url, (c) => readPosition(c, t.stream?.name ?? ""), OBSERVER);
          return replicaFrom(r.host, pos, p, tail, now);
        } catch (e) {
          return { host: r.host, state: "unreachable", applyErrors: 0, syncErrors: 0, syncStandby: false, error: (e as Error).message };
        }
      }),
    );
    return { primary: p.obs, replicas };
  },

  async waitApplied(t: ReplicationTopology, host: string, marker: FenceMarker, deadline: number): Promise<void> {
    const r = t.replicas.find((x) => x.host === host);
    if (!r) throw new Error(`no replica on ${host}`);
    // The consumer records the marker in the transaction that applies it: past it, it has everything.
    await withClient(
      r.url,
      async (c) => {
        for (;;) {
          const pos = await readPosition(c, t.stream?.name ?? "");
          if (pos?.marker === marker.token) return;
          if (Date.now() > deadline) throw new Error(`${host} applied up to byte ${pos?.lsn ?? 0n} and has not seen the fence marker`);
          await new Promise((res) => setTimeout(res, 20));
        }
      },
      OBSERVER,
    );
  },

  async detach(t: ReplicationTopology, host: string): Promise<void> {
    const r = t.replicas.find((x) => x.host === host);
    if (!r) throw new Error(`no replica on ${host}`);
    await withClient(r.url, (c) => detachPosition(c, t.stream?.name ?? ""), OBSERVER);
  },
};
