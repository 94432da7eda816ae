-- The access-token lifetime, readable by SQL as current_setting('app.settings.jwt_exp').
-- The JWT secret itself is deliberately not in the database: not stored here, not passed to
-- the db container, and not handed to SQL by PostgREST (no PGRST_APP_SETTINGS_JWT_SECRET).
\set jwt_exp `echo "$JWT_EXP"`
\set dbname `echo "$POSTGRES_DB"`

ALTER DATABASE :"dbname" SET "app.settings.jwt_exp" TO :'jwt_exp';
