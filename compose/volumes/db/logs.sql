-- The schema analytics (logflare) writes to, in the internal _supabase database.
\set pguser `echo "$POSTGRES_USER"`

\connect _supabase
CREATE SCHEMA IF NOT EXISTS _analytics;
ALTER SCHEMA _analytics OWNER TO :"pguser";
