-- The orders service's tables, applied by the stack to the primary and to every shadow's store
-- (store.schema). Kept equal to SCHEMA_SQL in demo/service/store.ts (a unit test checks it).
CREATE TABLE IF NOT EXISTS orders (
  id bigserial primary key,
  customer text not null,
  amount numeric(12,2) not null,
  items int not null default 1,
  created_at timestamptz not null default now(),
  request_id text unique
);
