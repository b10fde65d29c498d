import { createHash } from "node:crypto";

/** Short content hash: a reload token that changes exactly when a rendered config does. */
export function digest(content: string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 16);
}
