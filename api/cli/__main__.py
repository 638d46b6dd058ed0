"""`python -m pagesight.api.cli`: the console script, as a module."""

import sys

from . import main

sys.exit(main())
