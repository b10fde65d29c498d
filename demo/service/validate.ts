// Request validation: pure functions that return a value or a message for a 400 answer.
import type { NewOrder } from "./store";

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export const MAX_AMOUNT = 9_999_999_999.99; // numeric(12,2)
export const MAX_ITEMS = 2_147_483_647;
export const MAX_CUSTOMER_LENGTH = 200;
export const MAX_REQUEST_ID_LENGTH = 200;
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 500;

export function validateOrder(body: unknown): Checked<Omit<NewOrder, "requestId">> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "body must be a JSON object" };
  const b = body as Record<string, unknown>;
  if (typeof b.customer !== "string" || b.customer.trim() === "") return { ok: false, error: "customer must be a non-empty string" };
  if (b.customer.length > MAX_CUSTOMER_LENGTH) return { ok: false, error: `customer must be at most ${MAX_CUSTOMER_LENGTH} characters` };
  if (typeof b.amount !== "number" || !Number.isFinite(b.amount) || b.amount <= 0) return { ok: false, error: "amount must be a number > 0" };
  const amount = Math.round(b.amount * 100) / 100;
  if (amount <= 0) return { ok: false, error: "amount must be at least 0.01" };
  if (amount > MAX_AMOUNT) return { ok: false, error: `amount must be at most ${MAX_AMOUNT}` };
  let items = 1;
  if (b.items !== undefined && b.items !== null) {
    if (typeof b.items !== "number" || !Number.isInteger(b.items) || b.items < 1 || b.items > MAX_ITEMS) {
      return { ok: false, error: "items must be a positive integer" };
    }
    items = b.items;
  }
  return { ok: true, value: { customer: b.customer, amount, items } };
}

export function validateRequestId(header: string | string[] | undefined): Checked<string | undefined> {
  if (header === undefined) return { ok: true, value: undefined };
  if (Array.isArray(header)) return { ok: false, error: "X-Request-Id must be given once" };
  const v = header.trim();
  if (v === "") return { ok: true, value: undefined };
  if (v.length > MAX_REQUEST_ID_LENGTH || !/^[\x21-\x7e]+$/.test(v)) {
    return { ok: false, error: `X-Request-Id must be 1-${MAX_REQUEST_ID_LENGTH} printable ASCII characters` };
  }
  return { ok: true, value: v };
}

export function parseOrderId(s: string): Checked<number> {
  if (!/^[1-9][0-9]{0,15}$/.test(s)) return { ok: false, error: "order id must be a positive integer" };
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return { ok: false, error: "order id is too large" };
  return { ok: true, value: n };
}

export function parseLimit(s: string | null): Checked<number> {
  if (s === null || s === "") return { ok: true, value: DEFAULT_LIMIT };
  if (!/^[0-9]{1,9}$/.test(s) || Number(s) < 1) return { ok: false, error: "limit must be a positive integer" };
  return { ok: true, value: Math.min(Number(s), MAX_LIMIT) };
}
