"""Init steps: what runs between groups so that schemas and data are in place.

steps.py    a step's runner, found through its kind in ``manifest.kinds``
postgres/   SQL seeds, applied once each and tracked by checksum; schema capture
mongo/      replica-set initiation and document seeds
"""
