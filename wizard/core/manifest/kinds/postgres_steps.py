"""``postgres-seeds``: apply the SQL files of a folder in order, each once (``wizard.core.seeds.postgres.apply``)."""

from wizard.core.manifest.kinds.base import POSTGRES, StepKind

KINDS = (StepKind("postgres-seeds", required=("dsn", "dir"), module="wizard.core.seeds.postgres.apply",
                  function="run_seed_step", database=POSTGRES, seeds=True),)
