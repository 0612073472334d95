"""`python -m makemore_fast`: the makemore-fast command."""
import sys

from .cli import main

sys.exit(main())
