"""Each op: the NumPy reference, makemore_fast and (if installed) PyTorch eager."""
import pytest

from makemore_fast.bench import cases

IMPLS = ["reference", "makemore_fast", "torch"]


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        all_cases = cases(large=metafunc.config.getoption("--large"))
        metafunc.parametrize("case", all_cases,
                             ids=[f"{c.op} {c.shape} {c.dtype}" for c in all_cases])


@pytest.mark.parametrize("impl", IMPLS)
def test_op(benchmark, case, impl):
    fn = {"reference": case.reference, "makemore_fast": case.fast,
          "torch": case.torch}[impl]
    if fn is None:
        pytest.skip("no PyTorch peer for this case (not installed, or not covered)")
    benchmark.group = f"{case.op} {case.shape} {case.dtype}"
    benchmark(fn)
