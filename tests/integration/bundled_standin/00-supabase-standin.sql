-- What the supabase/postgres image provides before its own init scripts run, reduced to
-- what compose/volumes/db/*.sql and seeds/postgres expect: the roles (with the same
-- attributes: `postgres` is not a superuser there), the auth schema with auth.users and
-- auth.uid(), and the extensions schema. Runs first, as the bootstrap superuser
-- supabase_admin (POSTGRES_USER, as in the real image).

CREATE ROLE postgres LOGIN CREATEROLE CREATEDB REPLICATION BYPASSRLS;
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
CREATE ROLE authenticator LOGIN NOINHERIT;
GRANT anon, authenticated, service_role TO authenticator;
GRANT anon, authenticated, service_role TO postgres;
CREATE ROLE pgbouncer LOGIN;
CREATE ROLE supabase_auth_admin LOGIN NOINHERIT CREATEROLE;
CREATE ROLE supabase_storage_admin LOGIN NOINHERIT CREATEROLE;

-- The image's postgres password comes from POSTGRES_PASSWORD like the others (roles.sql
-- sets the service roles'); the seeds step logs in as postgres.
\set pgpass `echo "$POSTGRES_PASSWORD"`
ALTER ROLE postgres WITH PASSWORD :'pgpass';

-- postgres creates schemas and tables in the app's database (the seeds, the launcher's
-- own bookkeeping), as on Supabase.
\set dbname `echo "$POSTGRES_DB"`
GRANT ALL ON DATABASE :"dbname" TO postgres;
ALTER SCHEMA public OWNER TO postgres;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;

CREATE SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO postgres, anon, authenticated, service_role;

CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
CREATE TABLE auth.users (
  instance_id uuid,
  id uuid PRIMARY KEY,
  aud varchar(255),
  role varchar(255),
  email varchar(255) UNIQUE,
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now()
);
ALTER TABLE auth.users OWNER TO supabase_auth_admin;

-- The signed-in user's id, from the JWT claims PostgREST puts in the session.
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
ALTER FUNCTION auth.uid() OWNER TO supabase_auth_admin;

GRANT USAGE ON SCHEMA auth TO postgres, anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA auth TO postgres, service_role;
GRANT EXECUTE ON FUNCTION auth.uid() TO PUBLIC;
