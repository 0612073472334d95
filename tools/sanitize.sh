#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer run of the kernel tests
# (`make sanitize`; see docs/RELIABILITY.md).
#
# Builds the extension with -fsanitize=address,undefined in a copy of the
# sources under build/sanitize/ (the in-place build and any install are left
# alone), then runs the kernel tests against that copy with the sanitizer
# runtime preloaded into Python. Any out-of-bounds access, use after free or
# undefined behaviour in the kernels or the bindings aborts the run with a
# report; the script then fails.
#
# Environment: PYTHON (default python3), HYPOTHESIS_PROFILE (default dev:
# 100 examples per property test), and extra pytest arguments as "$@".
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
python="${PYTHON:-python3}"
work="$root/build/sanitize"
src="$work/src"

tests=(tests/ops tests/test_threads.py)

"$python" -c "import Cython, numpy, scipy, setuptools" 2> /dev/null || {
    echo "tools/sanitize.sh needs the build requirements in $python:" \
         "pip install 'Cython>=3.0' 'setuptools>=77' numpy scipy"; exit 1; }

echo "== build with ASan + UBSan in $src"
rm -rf "$src"
mkdir -p "$src"
cp -r setup.py pyproject.toml README.md csrc "$src/"
cp -r makemore_fast "$src/"
find "$src/makemore_fast" \( -name '*.so' -o -name 'ops.c' -o -name '__pycache__' \) -prune \
    -exec rm -rf {} +
# In CC, so that the link of the extension gets the sanitizer runtimes too.
cc="${CC:-gcc} -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all"
(cd "$src" && CC="$cc" CFLAGS="-fno-omit-frame-pointer -g" \
    "$python" setup.py -q build_ext --inplace > "$work/build.log" 2>&1) \
    || { cat "$work/build.log"; exit 1; }

# The extension needs the sanitizer runtime loaded before anything else;
# CPython's own leaks are by design, so leak checking is off.
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export PYTHONMALLOC=malloc          # Python objects through malloc too: ASan sees them
export PYTHONPATH="$src"

cd "$work"                          # not the source tree: import the sanitized copy
"$python" -c 'import makemore_fast.ops as o; assert "build/sanitize" in o.__file__, o.__file__'

# Canary: a kernel made to write past its output must be caught, or the run
# would prove nothing. (ASan exits instead of aborting here: no core, no noise.)
if ASAN_OPTIONS="$ASAN_OPTIONS:abort_on_error=0" "$python" - 2> "$work/canary.log" <<'PY'
import ctypes
import numpy as np
from makemore_fast import ops
lib = ctypes.CDLL(ops.__file__)
lib.mmf_kernels_f32.restype = ctypes.POINTER(ctypes.c_void_p)    # the table's first field:
kernel = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 3, *[ctypes.c_int] * 3)(
    lib.mmf_kernels_f32()[0])                                    # embedding_forward
table, idx = np.ones((4, 1024), np.float32), np.zeros((2, 1), np.int64)
out = np.empty(1024, np.float32)            # one row: the kernel writes two
kernel(table.ctypes.data, idx.ctypes.data, out.ctypes.data, 2, 1, 1024)
PY
then
    echo "the canary's overflow went unnoticed: the sanitizers are not active"; exit 1
fi
grep -q "heap-buffer-overflow" "$work/canary.log" \
    || { cat "$work/canary.log"; echo "the canary died without an ASan report"; exit 1; }
echo "== canary caught (heap-buffer-overflow); testing with ASan + UBSan"
"$python" -m pytest -q -p no:cacheprovider \
    --hypothesis-profile="${HYPOTHESIS_PROFILE:-dev}" \
    "${tests[@]/#/$root/}" "$@"
