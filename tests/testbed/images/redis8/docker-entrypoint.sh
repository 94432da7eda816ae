#!/bin/sh
# The official image's entrypoint name, so the bundled command (`exec docker-entrypoint.sh
# redis-server ...`) runs here too. The official one drops to its redis user first; this
# stand-in runs what it is given.
exec "$@"
