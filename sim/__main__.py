"""``python -m sim``: the command line."""

from sim.cli import main

raise SystemExit(main())
