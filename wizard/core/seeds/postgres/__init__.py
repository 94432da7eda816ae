"""PostgreSQL seeds.

apply.py     apply a folder's seed files in order, each once, tracked by checksum
runfile.py   one prepared file run in one transaction, statement by statement as psql runs it
seedfile.py  one seed file made ready to run: split, checked, ``${NAME}`` bound
splitter.py  an SQL script split into statements as ``psql -f`` splits it
binder.py    ``${NAME}`` inside a string literal, bound as a value, never as SQL
cache.py     knowing, without connecting, that a daily `up` has nothing to apply
capture.py   an existing database's schema as ordered seed files
"""
