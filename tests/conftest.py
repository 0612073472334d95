"""Hypothesis profiles for the property tests, and their one-BLAS-thread fixture.

"ci" (chosen when the environment variable CI is set, as CI runs with
CI=true): 2000 examples per test. "dev" (the default): 100 examples, for a
quick local run. Both are reproducible: examples derive from each test's code
(derandomize), no example database, no deadline (a 300x300x300 case takes
milliseconds, a shrink much longer). "soak": 20000 fresh random examples per
test, to hunt for bugs by hand (`pytest tests/ops/test_properties.py
--hypothesis-profile=soak`; a failure prints its @reproduce_failure blob).
A test's own @settings override these.
"""
import os

import pytest
from hypothesis import settings
from threadpoolctl import threadpool_limits

settings.register_profile("ci", max_examples=2000, derandomize=True, database=None,
                          deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=100, derandomize=True, database=None,
                          deadline=None, print_blob=True)
settings.register_profile("soak", max_examples=20000, derandomize=False, database=None,
                          deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() not in ("", "0", "false")
                      else "dev")


@pytest.fixture(scope="module")
def one_blas_thread():
    """BLAS on one thread for a module of small products: on a 2-core machine
    shared with other work, OpenBLAS's second thread waits for a time slice and
    makes them ~10x slower. Results do not depend on it (docs/RELIABILITY.md)."""
    with threadpool_limits(1, user_api="blas"):
        yield
