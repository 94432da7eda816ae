"""``postgres-seeds``: apply the SQL files of a folder in order, each once (``wizard.core.postgres``)."""

from wizard.core.kinds.base import StepKind

KINDS = (StepKind("postgres-seeds", required=("dsn", "dir"), module="wizard.core.postgres", function="run_seed_step"),)
