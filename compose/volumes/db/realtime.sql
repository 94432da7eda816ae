-- The schema realtime keeps its tenants and migrations in (realtime profile).
\set pguser `echo "$POSTGRES_USER"`

CREATE SCHEMA IF NOT EXISTS _realtime;
ALTER SCHEMA _realtime OWNER TO :"pguser";
