// Pointing a stack at a promoted store: the same config keys on every platform.
import { Stack } from "@pulumi/pulumi/automation";
import { placeService, ServiceSpec, StackSpec } from "../../components/config";

/**
 * The stack is the source of truth: its config names the primary's host, and `up` makes it so (live
 * instances restart on the new primary, replication is re-created to the other shadows). An old
 * primary that was itself a shadow host leaves the shadows: its store is fenced or dead, and it
 * would otherwise come back as a replica of the new primary.
 */
export async function repointConfig(stack: Stack, spec: StackSpec, svc: ServiceSpec, host: string): Promise<void> {
  const key = `understudy:services.${svc.name}`;
  const old = svc.store?.host;
  await stack.setConfig(`${key}.store.host`, { value: host }, true);
  const shadows = placeService(svc, spec.hosts).shadows;
  if (!old || !shadows.includes(old)) return;
  const keep = shadows.filter((h) => h !== old);
  await stack.removeConfig(`${key}.shadows.hosts`, true).catch(() => undefined);
  const entries: [string, { value: string }][] = [[`${key}.shadows.count`, { value: String(keep.length) }], ...keep.map((h, i): [string, { value: string }] => [`${key}.shadows.hosts[${i}]`, { value: h }])];
  await stack.setAllConfig(Object.fromEntries(entries), true);
}
