"""MongoDB steps: ``mongo-replica-set`` (initiate a one-member replica set, ``wizard.core.mongo``)
and ``mongo-seeds`` (load a folder of JSON documents, ``wizard.core.mongoseed``)."""

from wizard.core.kinds.base import StepKind

KINDS = (
    StepKind("mongo-replica-set", required=("uri", "member_host"), module="wizard.core.mongo",
             function="run_replica_set_step"),
    StepKind("mongo-seeds", required=("uri", "dir"), module="wizard.core.mongoseed", function="run_seed_step"),
)
