#!/bin/sh
# Kong's entrypoint: writes the declarative config from kong.yml, with the few $NAME
# references it holds replaced by this container's environment, then starts Kong.
#
# Upstream's compose ran `eval "echo \"$(cat temp.yml)\""`, which strips quotes and would
# execute a backtick or $( ) found in a value. awk copies each value byte for byte, and
# only the names listed here are replaced, so nothing else in the file can be mangled.
#
# The newer API keys: lines of kong.yml tagged `#new-keys` are kept only when the opaque
# keys reach this container (env/supabase-keys-true.env, SUPABASE_NEW_API_KEYS=true, the
# default), and
# lines tagged `#legacy-keys` only when they do not. With them on, Kong accepts the opaque
# keys and hands the services the matching ES256 JWT in Authorization.
set -eu

publishable=${SUPABASE_PUBLISHABLE_KEY:-}
secret=${SUPABASE_SECRET_KEY:-}
if [ -n "$publishable" ] && [ -n "$secret" ]; then
  keep=new-keys
  drop=legacy-keys
  # The keys land inside Lua string literals below: accept only the characters opaque
  # keys and JWTs are made of, so no value can end a literal.
  for value in "$publishable" "$secret" "${ANON_KEY_ASYMMETRIC:-}" "${SERVICE_ROLE_KEY_ASYMMETRIC:-}"; do
    case "$value" in
      "" | *[!A-Za-z0-9._-]*)
        echo "kong-entrypoint: the new API keys are on but a key is missing or malformed — run \`launcher secrets check\`" >&2
        exit 1 ;;
    esac
  done
  # A user session (a JWT in Authorization) passes through; an opaque key becomes its
  # ES256 JWT; a legacy key given only as apikey is passed on as a bearer token.
  AUTH_EXPR="\$((headers.authorization ~= nil and headers.authorization:sub(1, 10) ~= \"Bearer sb_\" and headers.authorization) or (headers.apikey == \"$secret\" and \"Bearer $SERVICE_ROLE_KEY_ASYMMETRIC\") or (headers.apikey == \"$publishable\" and \"Bearer $ANON_KEY_ASYMMETRIC\") or (headers.apikey and \"Bearer \" .. headers.apikey))"
  # supabase-js opens the realtime socket with ?apikey=...
  REALTIME_WS_EXPR="\$((query_params.apikey == \"$secret\" and \"$SERVICE_ROLE_KEY_ASYMMETRIC\") or (query_params.apikey == \"$publishable\" and \"$ANON_KEY_ASYMMETRIC\") or query_params.apikey)"
  # Functions: the opaque key, as `apikey` or as a bearer token, becomes its ES256 JWT in
  # sb-api-key; anything else gives nil (no header, see the post-function in kong.yml).
  FUNCTIONS_KEY_EXPR="\$(((headers.apikey == \"$secret\" or headers.authorization == \"Bearer $secret\") and \"$SERVICE_ROLE_KEY_ASYMMETRIC\") or ((headers.apikey == \"$publishable\" or headers.authorization == \"Bearer $publishable\") and \"$ANON_KEY_ASYMMETRIC\") or nil)"
else
  keep=legacy-keys
  drop=new-keys
  AUTH_EXPR=
  REALTIME_WS_EXPR=
  FUNCTIONS_KEY_EXPR=
fi

# RFC 8414 discovery lives at /.well-known/oauth-authorization-server followed by the
# issuer's path: take the path of JWT_ISSUER (auth's GOTRUE_JWT_ISSUER), without a trailing
# slash. It lands in a YAML string and a route path: plain URL path characters only.
issuer_path=$(printf '%s' "${JWT_ISSUER:-}" | sed -e 's|^[A-Za-z][A-Za-z0-9+.-]*://[^/]*||' -e 's|/*$||')
case "$issuer_path" in
  *[!A-Za-z0-9._~/-]*)
    echo "kong-entrypoint: JWT_ISSUER has a path Kong cannot route (plain URL path characters only) — fix API_EXTERNAL_URL in .env" >&2
    exit 1 ;;
esac
OAUTH_ISSUER_PATH=$issuer_path
export AUTH_EXPR REALTIME_WS_EXPR FUNCTIONS_KEY_EXPR OAUTH_ISSUER_PATH

awk -v names="SUPABASE_ANON_KEY SUPABASE_SERVICE_KEY SUPABASE_PUBLISHABLE_KEY SUPABASE_SECRET_KEY AUTH_EXPR REALTIME_WS_EXPR FUNCTIONS_KEY_EXPR OAUTH_ISSUER_PATH DASHBOARD_USERNAME DASHBOARD_PASSWORD" \
    -v keep="#$keep" -v drop="#$drop" '
BEGIN { count = split(names, list, " ") }
{
  line = $0
  # Tags are whole trailing comments: `  # ... #new-keys` never matches by accident.
  if (index(line, drop) > 0 && substr(line, length(line) - length(drop) + 1) == drop) next
  if (index(line, keep) > 0 && substr(line, length(line) - length(keep) + 1) == keep) {
    line = substr(line, 1, length(line) - length(keep))
    sub(/[ \t]+$/, "", line)
  }
  for (i = 1; i <= count; i++) {
    token = "$" list[i]
    out = ""
    while ((at = index(line, token)) > 0) {
      out = out substr(line, 1, at - 1) ENVIRON[list[i]]
      line = substr(line, at + length(token))
    }
    line = out line
  }
  print line
}' /home/kong/temp.yml > "$KONG_DECLARATIVE_CONFIG"

# The kong/kong image's own entrypoint (upstream's Kong 3.9 override hands over the same way).
exec /entrypoint.sh kong docker-start
