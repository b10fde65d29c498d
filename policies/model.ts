// What the rules see: resources as plain argument bags (type, name, props, which props are secret),
// the same shape from a real `pulumi preview`, from Pulumi mocks, or written by hand in a test.
export interface ResourceArgs {
  type: string;
  name: string;
  urn?: string;
  /** Inputs (preview) or outputs (update); values unknown during preview are undefined. */
  props: Record<string, unknown>;
  /** Top-level props the engine stores encrypted (the resource's additionalSecretOutputs). */
  secretOutputs?: string[];
  /** Names of the resources this one depends on (how a listener finds its load balancer in preview). */
  dependencies?: string[];
}

export interface Violation {
  rule: string;
  /** The resource at fault; absent for a violation of the stack as a whole. */
  resource?: ResourceArgs;
  problem: string;
  fix: string;
}

/** Every message names the resource, the rule and the fix. */
export function describe(v: Violation): string {
  const where = v.resource ? `${v.resource.type} '${v.resource.name}'` : "the stack";
  return `[${v.rule}] ${where}: ${v.problem}. Fix: ${v.fix}.`;
}

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A value the program marked secret, as the engine serializes it (or as @pulumi/policy wraps it). */
export function isSecretValue(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return o[SIG] === SECRET_SIG || (o.constructor?.name === "Secret" && "value" in o);
}

/** The plain value: secret wrappers removed at any depth. */
export function plain(v: unknown): unknown {
  if (isSecretValue(v)) return plain((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** The value at a path of keys (label keys hold dots, so a path is a list); undefined when absent. */
export function at(v: unknown, ...path: (string | number)[]): unknown {
  let cur = plain(v);
  for (const k of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

export const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : undefined);
export const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (plain(v) as Record<string, unknown>) : {});

/** Whether a top-level prop is stored as a Pulumi secret. */
export function isSecretProp(r: ResourceArgs, prop: string): boolean {
  return (r.secretOutputs ?? []).includes(prop) || isSecretValue(r.props[prop]);
}
