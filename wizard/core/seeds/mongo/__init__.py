"""MongoDB steps, with pymongo.

replicaset.py  initiating a one-member replica set from the host
data.py        loading ``seeds/mongo`` idempotently, or copying a database from a server
"""
