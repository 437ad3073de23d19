"""`python -m handouts`: the same as the `handouts` command."""

import sys

from handouts.cli import main

sys.exit(main())
