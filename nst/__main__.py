"""`python -m nst ...`: the command-line interface."""

import sys

from nst.cli import main

sys.exit(main())
