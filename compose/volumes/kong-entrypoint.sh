#!/bin/sh
# Kong's entrypoint: writes the declarative config from kong.yml, with the few $NAME
# references it holds replaced by this container's environment, then starts Kong.
#
# Upstream's compose ran `eval "echo \"$(cat temp.yml)\""`, which strips quotes and would
# execute a backtick or $( ) found in a value. awk copies each value byte for byte, and
# only the names listed here are replaced, so nothing else in the file can be mangled.
set -eu

awk -v names="SUPABASE_ANON_KEY SUPABASE_SERVICE_KEY DASHBOARD_USERNAME DASHBOARD_PASSWORD" '
BEGIN { count = split(names, list, " ") }
{
  line = $0
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

exec /docker-entrypoint.sh kong docker-start
