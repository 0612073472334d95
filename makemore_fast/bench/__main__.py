"""`python -m makemore_fast.bench`: the side-by-side benchmark table."""
import sys

from . import main

sys.exit(main())
