"""MMF_CPU: the instruction-set level the kernels run at, chosen at import."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import makemore_fast as mf
from makemore_fast import ops

ROOT = str(Path(mf.__file__).resolve().parents[1])


def level_in_a_fresh_process(value):
    """(cpu_level(), stderr) of a new interpreter importing ops with MMF_CPU=value
    (run outside the source tree, whose makemore_fast has no extension)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("MMF_CPU", None)
    if value is not None:
        env["MMF_CPU"] = value
    done = subprocess.run([sys.executable, "-c",
                           "import makemore_fast.ops as o; print(o.cpu_level())"],
                          env=env, capture_output=True, text=True, check=True,
                          cwd=tempfile.gettempdir())
    return done.stdout.strip(), done.stderr


def best_level():
    return level_in_a_fresh_process(None)[0]


def test_the_level_in_use_is_one_of_the_three():
    assert ops.cpu_level() in ops.CPU_LEVELS
    assert ops.cpu_level() == (os.environ.get("MMF_CPU") or best_level())


@pytest.mark.parametrize("value", ["baseline", "avx2", "avx512", " AVX2 "])
def test_mmf_cpu_forces_a_level_or_warns_and_takes_the_best(value):
    best = ops.CPU_LEVELS.index(best_level())
    asked = ops.CPU_LEVELS.index(value.strip().lower())
    level, stderr = level_in_a_fresh_process(value)
    if asked <= best:
        assert level == ops.CPU_LEVELS[asked] and "RuntimeWarning" not in stderr
    else:
        assert level == ops.CPU_LEVELS[best]
        assert "RuntimeWarning" in stderr and "has no" in stderr


def test_an_unknown_level_warns_and_takes_the_best():
    level, stderr = level_in_a_fresh_process("sse9")
    assert level == best_level() and "is not one of baseline, avx2, avx512" in stderr
