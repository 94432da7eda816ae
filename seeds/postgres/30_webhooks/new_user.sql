-- The `new_user` database webhook: after a profile is created (that is, after a sign-up)
-- pg_net POSTs {type, table, schema, record, old_record} to the backend, the same
-- trigger Studio's "Database Webhooks" page writes. It fires on public.profiles rather
-- than auth.users so the payload never carries the password hash.
-- The URL and the bearer token below are filled in by the launcher when it applies this
-- seed (STACKEND_INTERNAL_URL and STACKEND_WEBHOOK_SECRET in stack.toml).
CREATE OR REPLACE TRIGGER new_user
  AFTER INSERT ON public.profiles
  FOR EACH ROW
  EXECUTE FUNCTION supabase_functions.http_request(
    '${STACKEND_INTERNAL_URL}/webhooks/new_user',
    'POST',
    '{"Content-Type": "application/json", "Authorization": "Bearer ${STACKEND_WEBHOOK_SECRET}"}',
    '{}',
    '5000'
  );
