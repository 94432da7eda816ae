"""`launcher upgrade`: moving a running stack to the images its compose files now name.

The top layer: it uses lifecycle (recreating services, waiting for health) and
snapshots (the verified snapshot taken before anything changes), so it sits above both
rather than inside snapshots, which must not reach up into lifecycle's launch.

- plan: what runs now (each container's image, the last `up`'s recorded config, each
  Postgres data volume's PG_VERSION) against what the compose files say; the disk a move
  needs and the extensions the new image lacks; changes nothing.
- majors: a Postgres major move written into a NEW volume (pg_dumpall, restore in a
  temporary container of the new image) and verified; the old volume is never touched.
- switch: the `.launcher/upgrade.yml` override that points compose volumes at the new
  volumes, and how the previous services come back (the last `up`'s record, or their
  previous image and healthcheck when there is none).
- sqlsteps: the stack's `postgres-upgrade` steps whose version move the plan makes, applied
  once each after the recreate (tracked in `launcher.applied_upgrades`).
- featurecompat: after a MongoDB major move, each moved server's feature-compatibility version
  raised to its binary's (last: it cannot be rolled back).
- pgexec: psql run inside a server's own container, and UpgradeFailed.
- revive: on a stack that is down, the old database servers started as the last `up` ran them.
- journal: what a running upgrade has done, kept on disk so a SIGKILL'd one can be undone.
- rollback: undoing an upgrade from its journal (after a failure, Ctrl-C, or in the next run).
- run: the whole `upgrade --yes` (snapshot, majors, switch, recreate, upgrade steps, rollback).
- finish: `upgrade --finish` removes the old volumes kept.
- events: UpgradeStep, UpgradeRolledBack.
"""
