"""The images a stack runs on.

inventory.py  every image a stack needs, whether it is here, pulling what is missing
build.py      building the services that have ``build:`` before anything starts
bundle.py     one archive of every image, to carry to a machine without a registry
"""
