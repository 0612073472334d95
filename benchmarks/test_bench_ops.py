"""Each op: the NumPy reference, makemore_fast, the lean NumPy version (the
fused block) and (if installed) PyTorch eager.

Before it is timed, makemore_fast's (and lean NumPy's) result is checked once against the
reference's, so a fast wrong kernel cannot pass as a benchmark."""
import numpy as np
import pytest

from makemore_fast.bench import cases

IMPLS = ["reference", "makemore_fast", "numpy", "torch"]
RTOL = {"float32": 1e-3, "float64": 1e-9}


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        all_cases = cases(large=metafunc.config.getoption("--large"))
        metafunc.parametrize("case", all_cases,
                             ids=[f"{c.op} {c.shape} {c.dtype}" for c in all_cases])


def assert_same_result(got, want, rtol):
    """Nested tuples of arrays, floats and None, equal within rtol of each array's scale."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same_result(g, w, rtol)
    elif want is None:
        assert got is None
    else:
        want = np.asarray(want, np.float64)
        scale = float(np.abs(want).max(initial=0.0)) or 1.0
        np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol,
                                   atol=rtol * scale)


@pytest.mark.parametrize("impl", IMPLS)
def test_op(benchmark, case, impl):
    fn = {"reference": case.reference, "makemore_fast": case.fast,
          "torch": case.torch, "numpy": case.numpy}[impl]
    if fn is None:
        pytest.skip(f"no {impl} peer for this case (not installed, or not covered)")
    if impl in ("makemore_fast", "numpy"):
        assert_same_result(fn(), case.reference(), RTOL[case.dtype])
    benchmark.group = f"{case.op} {case.shape} {case.dtype}"
    benchmark(fn)
