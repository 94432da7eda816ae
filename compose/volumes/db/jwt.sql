-- The access-token lifetime, readable by SQL as current_setting('app.settings.jwt_exp').
-- The JWT secret itself is deliberately not stored in the database.
\set jwt_exp `echo "$JWT_EXP"`
\set dbname `echo "$POSTGRES_DB"`

ALTER DATABASE :"dbname" SET "app.settings.jwt_exp" TO :'jwt_exp';
