"""Postgres step kinds: SQL files of a folder applied in order, each once.

- ``postgres-seeds``: the stack's schema and data, at every `up` (``wizard.core.seeds.postgres.apply``);
- ``postgres-upgrade``: SQL a stack declares for one version move of a service's image
  (``from_image`` -> ``to_image``, shell-style patterns), applied by `launcher upgrade` after
  the new services are healthy and tracked apart from the seeds (``wizard.core.upgrade.sqlsteps``).
"""

from wizard.core.manifest.kinds.base import POSTGRES, StepKind

KINDS = (StepKind("postgres-seeds", required=("dsn", "dir"), module="wizard.core.seeds.postgres.apply",
                  function="run_seed_step", database=POSTGRES, seeds=True),
         StepKind("postgres-upgrade", required=("dsn", "dir", "service", "to_image"),
                  module="wizard.core.upgrade.sqlsteps", function="run_upgrade_step", database=POSTGRES,
                  at_upgrade=True, optional=("from_image",)))
