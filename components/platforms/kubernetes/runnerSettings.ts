// The runner-in-a-cluster settings: `understudy:kubernetes.runner`, validated like the rest of the
// stack config (the error names the key and the rule). Read by deploy/runner, which runs the runner
// next to the stack it drives (see runner.ts for why it is not part of that stack).
import { ConfigError, NAMESPACE, objectAt } from "../../config";

export type RunnerMode = "tick" | "run";

export interface RunnerVolume {
  /** Holds the stack's config (the runner writes it), the forecasters' state and, without backendUrl, the file backend. */
  size: string;
  storageClass?: string;
}

export interface RunnerSettings {
  image: string;
  /** tick: a CronJob, one tick per schedule; run: a Deployment running the loop. */
  mode: RunnerMode;
  schedule: string;
  intervalSec: number;
  volume: RunnerVolume;
  /** A Pulumi backend other than the volume's file:// one (e.g. s3://bucket?endpoint=...). */
  backendUrl?: string;
  /** Secret whose keys become the runner's environment (the backend's credentials). */
  backendSecret?: string;
  /** Secret holding the stack's secrets passphrase under the key `passphrase`. */
  passphraseSecret: string;
  /** How long a dead runner keeps the stack's lease. */
  leaseSeconds: number;
  dryRun: boolean;
  forecaster: string;
}

const KEY = `${NAMESPACE}:kubernetes.runner`;
const KEYS = ["image", "mode", "schedule", "intervalSec", "volume", "backendUrl", "backendSecret", "passphraseSecret", "leaseSeconds", "dryRun", "forecaster"];
const VOLUME_KEYS = ["size", "storageClass"];
const FORECASTERS = ["holt-winters", "seasonal-naive", "lstm", "ensemble"];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
/** Five cron fields; each a number, *, a list, a range or a step (what the CronJob controller accepts, minus names). */
const CRON_FIELD = /^(\*|[0-9]+(-[0-9]+)?)(\/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(\/[0-9]+)?)*$/;

function text(key: string, v: unknown, dflt?: string): string {
  const raw = v ?? dflt;
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(key, "must be a non-empty string");
  return raw.trim();
}

function missing(key: string, what: string): never {
  throw new ConfigError(key, `is required: ${what}`);
}

function whole(key: string, v: unknown, dflt: number, min: number, max: number): number {
  const raw = v === undefined ? dflt : typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < min || raw > max) throw new ConfigError(key, `must be a whole number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  return raw;
}

function secretName(key: string, v: unknown, dflt?: string): string {
  const name = text(key, v, dflt);
  if (!DNS_SUBDOMAIN.test(name)) throw new ConfigError(key, `must be a Secret name (lower-case letters, digits, '-' and '.'), got ${JSON.stringify(name)}`);
  return name;
}

/** The runner's settings, or undefined when the stack has none (no runner in the cluster). */
export function parseRunnerSettings(kubernetes: Record<string, unknown>): RunnerSettings | undefined {
  if (kubernetes.runner === undefined) return undefined;
  const o = objectAt(KEY, kubernetes.runner, KEYS);
  const mode = text(`${KEY}.mode`, o.mode, "tick");
  if (mode !== "tick" && mode !== "run") throw new ConfigError(`${KEY}.mode`, `must be tick (a CronJob) or run (a Deployment), got ${JSON.stringify(mode)}`);
  // A key the chosen mode ignores is a mistake worth naming rather than a silent no-op.
  if (mode === "run" && o.schedule !== undefined) throw new ConfigError(`${KEY}.schedule`, "only applies to mode tick; mode run ticks every intervalSec");
  if (mode === "tick" && o.intervalSec !== undefined) throw new ConfigError(`${KEY}.intervalSec`, "only applies to mode run; mode tick follows schedule");
  const schedule = text(`${KEY}.schedule`, o.schedule, "* * * * *");
  const fields = schedule.split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) throw new ConfigError(`${KEY}.schedule`, `must be a five-field cron expression such as "*/2 * * * *", got ${JSON.stringify(schedule)}`);
  const v = objectAt(`${KEY}.volume`, o.volume, VOLUME_KEYS);
  const size = text(`${KEY}.volume.size`, v.size, "1Gi");
  if (!QUANTITY.test(size)) throw new ConfigError(`${KEY}.volume.size`, `must be a storage quantity such as 1Gi, got ${JSON.stringify(size)}`);
  const backendUrl = o.backendUrl === undefined ? undefined : text(`${KEY}.backendUrl`, o.backendUrl);
  if (backendUrl !== undefined && !/^(s3|gs|azblob|file|https):\/\//.test(backendUrl)) throw new ConfigError(`${KEY}.backendUrl`, `must be a Pulumi backend URL (s3://, gs://, azblob://, file://, https://), got ${JSON.stringify(backendUrl)}`);
  if (o.backendSecret !== undefined && backendUrl === undefined) throw new ConfigError(`${KEY}.backendSecret`, "holds the credentials of backendUrl; set backendUrl too, or remove it");
  const forecaster = text(`${KEY}.forecaster`, o.forecaster, "holt-winters");
  if (!FORECASTERS.includes(forecaster)) throw new ConfigError(`${KEY}.forecaster`, `must be one of ${FORECASTERS.join(", ")}, got ${JSON.stringify(forecaster)}`);
  const dryRun = o.dryRun ?? false;
  if (typeof dryRun !== "boolean") throw new ConfigError(`${KEY}.dryRun`, `must be true or false, got ${JSON.stringify(dryRun)}`);
  return {
    image: o.image === undefined ? missing(`${KEY}.image`, "the runner's container image (deploy/images/runner, built by deploy/images/build.sh)") : text(`${KEY}.image`, o.image),
    mode,
    schedule,
    intervalSec: whole(`${KEY}.intervalSec`, o.intervalSec, 30, 5, 3600),
    volume: { size, storageClass: v.storageClass === undefined ? undefined : text(`${KEY}.volume.storageClass`, v.storageClass) },
    backendUrl,
    backendSecret: o.backendSecret === undefined ? undefined : secretName(`${KEY}.backendSecret`, o.backendSecret),
    passphraseSecret: secretName(`${KEY}.passphraseSecret`, o.passphraseSecret, "understudy-runner-passphrase"),
    leaseSeconds: whole(`${KEY}.leaseSeconds`, o.leaseSeconds, 60, 15, 3600),
    dryRun,
    forecaster,
  };
}
