#!/bin/sh
# Run once by the postgres image when it creates the database (docker-entrypoint-initdb.d):
# the role the service connects as. POSTGRES_USER owns the tables and runs the migrations, which
# grant this role row access only (no DDL, no TRUNCATE, no trigger control, no UPDATE/DELETE of
# the audit trail); see shared/migrations.py.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pw="$SERVICE_DB_PASSWORD" <<'SQL'
CREATE ROLE service LOGIN PASSWORD :'pw';
SQL
