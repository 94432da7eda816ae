-- Supabase's internal database: analytics keeps its tables here, away from the app's data.
\set pguser `echo "$POSTGRES_USER"`

CREATE DATABASE _supabase WITH OWNER :"pguser";
