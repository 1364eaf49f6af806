"""``python -m sim.sweep {sweep,compare,sensitivity} ...`` (same verbs as ``python -m sim``)."""

import sys

from sim.sweep.cli import main

if __name__ == "__main__":
    sys.exit(main())
