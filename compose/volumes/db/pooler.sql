-- supavisor (the `pooler` profile) keeps its tenants in schema _supavisor of the internal
-- _supabase database. Runs once, on a fresh data volume, like the other init SQL here.
\set pguser `echo "$POSTGRES_USER"`

\connect _supabase
CREATE SCHEMA IF NOT EXISTS _supavisor;
ALTER SCHEMA _supavisor OWNER TO :"pguser";
