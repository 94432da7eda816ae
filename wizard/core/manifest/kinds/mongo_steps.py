"""MongoDB steps: ``mongo-replica-set`` (initiate a one-member replica set, ``wizard.core.seeds.mongo.replicaset``)
and ``mongo-seeds`` (load a folder of JSON documents, ``wizard.core.seeds.mongo.data``)."""

from wizard.core.manifest.kinds.base import MONGO, StepKind

KINDS = (
    StepKind("mongo-replica-set", required=("uri", "member_host"), module="wizard.core.seeds.mongo.replicaset",
             function="run_replica_set_step", database=MONGO, admin_node=True,
             optional=("replica_set", "timeout", "poll_interval")),
    StepKind("mongo-seeds", required=("uri", "dir"), module="wizard.core.seeds.mongo.data", function="run_seed_step",
             database=MONGO, seeds=True, optional=("timeout", "batch_size")),
)
