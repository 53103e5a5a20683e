#!/bin/sh
# docker-compose.yml mounts this into postgres:/docker-entrypoint-initdb.d: on the first start of an empty
# data volume it creates the read-only role Grafana's PostgreSQL datasource logs in with
# (observability/grafana/provisioning/datasources: user `telemetry`, password $TELEMETRY_PG_PASSWORD).
# pg_read_all_data covers the tables the migrations create later too; the role can change nothing.
set -eu
: "${TELEMETRY_PG_PASSWORD:?set TELEMETRY_PG_PASSWORD for the postgres service}"
if [ "$POSTGRES_USER" = telemetry ]; then
  echo "grafana-reader.sh: POSTGRES_USER must not be 'telemetry', the name of Grafana's read-only role" >&2
  exit 1
fi
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=reader_password="$TELEMETRY_PG_PASSWORD" <<'SQL'
CREATE ROLE telemetry LOGIN PASSWORD :'reader_password' IN ROLE pg_read_all_data;
ALTER ROLE telemetry SET default_transaction_read_only = on;
SQL
