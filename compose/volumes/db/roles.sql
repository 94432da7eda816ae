-- The Supabase service roles log in with the stack's POSTGRES_PASSWORD.
-- The supabase/postgres image creates these roles without a usable password; this runs
-- once, as the superuser, when the data volume is first initialised. The password comes
-- from the container's environment, so it is never written into this file.
\set pgpass `echo "$PGPASSWORD"`

ALTER ROLE supabase_admin WITH PASSWORD :'pgpass';
ALTER ROLE authenticator WITH PASSWORD :'pgpass';
ALTER ROLE pgbouncer WITH PASSWORD :'pgpass';
ALTER ROLE supabase_auth_admin WITH PASSWORD :'pgpass';
ALTER ROLE supabase_storage_admin WITH PASSWORD :'pgpass';
