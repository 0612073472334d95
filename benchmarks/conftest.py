"""pytest-benchmark suites: `pytest benchmarks/` (add --large for the big shapes).

The cases come from makemore_fast.bench, the side-by-side runner, so that
both measure the same work; each case is one benchmark group, in which the
implementations are compared.
"""


def pytest_addoption(parser):
    parser.addoption("--large", action="store_true", default=False,
                     help="also benchmark the large shapes (4096x1024x1024: minutes)")
