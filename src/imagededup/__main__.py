"""``python -m imagededup`` runs the command line."""

import sys

from imagededup.cli import main

sys.exit(main())
