# Registers the stack's database as supavisor's one tenant, from the container's
# environment, before the server starts (compose/supabase.yml, profile `pooler`).
#
# The tenant is created only when it is missing (as upstream): it is never deleted, so a
# failed write can not leave the pooler without one. supavisor stores the pgbouncer role's
# password with it; when a rotated POSTGRES_PASSWORD (which recreates this container) differs
# from the stored one, that one field is updated in place, in one transaction.
# Clients connect as `<role>.<POOLER_TENANT_ID>`.
{:ok, _} = Application.ensure_all_started(:supavisor)

env = fn name -> System.fetch_env!(name) end

%{rows: [[server_version]]} = Supavisor.Repo.query!("SHOW server_version")

tenant = %{
  "external_id" => env.("POOLER_TENANT_ID"),
  "db_host" => System.get_env("POSTGRES_HOST", "db"),
  "db_port" => env.("POSTGRES_PORT"),
  "db_database" => env.("POSTGRES_DB"),
  "require_user" => false,
  # Client passwords are checked against the database itself, through pgbouncer's
  # SECURITY DEFINER lookup that ships with the supabase/postgres image.
  "auth_query" => "SELECT * FROM pgbouncer.get_auth($1)",
  "default_max_clients" => env.("POOLER_MAX_CLIENT_CONN"),
  "default_pool_size" => env.("POOLER_DEFAULT_POOL_SIZE"),
  "default_parameter_status" => %{"server_version" => server_version},
  "users" => [
    %{
      "db_user" => "pgbouncer",
      "db_password" => env.("POSTGRES_PASSWORD"),
      "mode_type" => env.("POOLER_POOL_MODE"),
      "pool_size" => env.("POOLER_DEFAULT_POOL_SIZE"),
      "is_manager" => true
    }
  ]
}

case Supavisor.Tenants.get_tenant_by_external_id(tenant["external_id"]) do
  nil ->
    {:ok, _} = Supavisor.Tenants.create_tenant(tenant)

  existing ->
    existing = Supavisor.Repo.preload(existing, :users)
    password = env.("POSTGRES_PASSWORD")

    # Users are matched by id, so the changeset updates the existing row, never replaces it.
    users =
      for user <- existing.users do
        if user.db_user == "pgbouncer" and user.db_password != password,
          do: %{"id" => user.id, "db_password" => password},
          else: %{"id" => user.id}
      end

    if Enum.any?(users, &Map.has_key?(&1, "db_password")) do
      {:ok, _} = Supavisor.Tenants.update_tenant(existing, %{"users" => users})
    end
end
