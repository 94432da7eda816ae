"""`python -m wizard` runs the same CLI as the `launcher` console script."""

from wizard.cli import main

raise SystemExit(main())
