-- Creates the profile of a user who just signed up.
-- SECURITY DEFINER: it runs from a trigger on auth.users, in the auth service's session
-- (role supabase_auth_admin), which has no rights on public.profiles; it runs as its
-- owner instead. The empty search_path makes every name below schema-qualified, so a
-- caller cannot redirect it to objects of their own.
CREATE OR REPLACE FUNCTION public.handle_new_user()
  RETURNS trigger
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = ''
AS $$
BEGIN
  INSERT INTO public.profiles (id, email, display_name)
  VALUES (
    NEW.id,
    NEW.email,
    coalesce(NEW.raw_user_meta_data ->> 'display_name', split_part(NEW.email, '@', 1))
  )
  ON CONFLICT (id) DO NOTHING;
  RETURN NEW;
END
$$;

-- Only the trigger calls it.
REVOKE ALL ON FUNCTION public.handle_new_user() FROM PUBLIC, anon, authenticated;
