#!/bin/sh
# Runs in temporalio/admin-tools before the Temporal server starts: sets up, or upgrades to this
# server version, the schema of its two PostgreSQL databases (both made by the postgres container).
# setup-schema and update-schema leave a schema already at this version as it is, so every
# `docker compose up` runs this. temporal-sql-tool reads the password from SQL_PASSWORD.
set -eu

schemas=/etc/temporal/schema/postgresql/v12
sql_tool() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u temporal "$@"; }

sql_tool --db temporal setup-schema -v 0.0
sql_tool --db temporal update-schema -d "$schemas/temporal/versioned"
sql_tool --db temporal_visibility setup-schema -v 0.0
sql_tool --db temporal_visibility update-schema -d "$schemas/visibility/versioned"
