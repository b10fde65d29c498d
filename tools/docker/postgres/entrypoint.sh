#!/bin/bash
# `postgres ...`: initialise $PGDATA on first start from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB
# (a superuser, as in the official image: it creates subscriptions and sets synchronous standbys), accept
# password connections from the container networks, then run the server as the postgres user.
# Anything else (the platform's one-shot psql steps) runs as given.
set -euo pipefail
if [ "${1:-}" != postgres ]; then exec "$@"; fi
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
install -d -o postgres -g postgres -m 0700 "$PGDATA"
install -d -o postgres -g postgres -m 2775 /var/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required (the docker platform generates one per service)}"
  pw="$(mktemp)"; printf '%s' "$POSTGRES_PASSWORD" > "$pw"; chown postgres "$pw"
  as_pg initdb -D "$PGDATA" -U "$user" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pw"
  printf 'host all all all scram-sha-256\nhost replication all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    as_pg psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
    as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
