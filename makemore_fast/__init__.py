"""makemore_fast: fast CPU kernels for the MLP of "makemore part 3", with its diagnostics."""
from . import ops, reference

__version__ = "0.1.0"
