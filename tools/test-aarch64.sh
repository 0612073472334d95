#!/usr/bin/env bash
# Builds makemore_fast for aarch64 Linux and runs its tests there, under
# emulation: a Debian arm64 root (debootstrap) run through qemu-user-static
# and binfmt_misc, in which the package is compiled by the root's own gcc
# against NumPy and SciPy's aarch64 wheels from PyPI (docs/PORTABILITY.md).
#
#   tools/test-aarch64.sh [pytest arguments: test paths, relative to the repository...]
#
# Default tests: the kernel tests (tests/ops, whole steps included) and
# tests/test_training.py; before tests/ops exists, the flat kernel test files.
# Runs as root (debootstrap, chroot, mounts) and installs debootstrap,
# qemu-user-static and binfmt-support with apt-get when they are missing.
#
# Environment:
#   MMF_AARCH64_ROOT   where the arm64 root is kept between runs
#                      (default /var/cache/makemore_fast/aarch64-root; the first
#                      run makes it, a few minutes, later runs reuse it)
#   MMF_AARCH64_SUITE  Debian release of the root (default bookworm)
#   MMF_AARCH64_MIRROR Debian mirror (default http://deb.debian.org/debian)
#   HYPOTHESIS_PROFILE hypothesis profile of the run (default dev: 100 examples
#                      per property test; under emulation "ci" would take hours)
# Exits non-zero when anything fails: the setup, the build or a test.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${MMF_AARCH64_ROOT:-/var/cache/makemore_fast/aarch64-root}"
suite="${MMF_AARCH64_SUITE:-bookworm}"
mirror="${MMF_AARCH64_MIRROR:-http://deb.debian.org/debian}"
profile="${HYPOTHESIS_PROFILE:-dev}"

if [ "$#" -gt 0 ]; then
    tests=("$@")
else
    tests=(tests/ops tests/test_training.py)
fi

[ "$(id -u)" -eq 0 ] || { echo "tools/test-aarch64.sh runs as root (debootstrap, chroot)"; exit 1; }

step() { echo "== $* ($SECONDS s)"; }

missing=()
command -v debootstrap > /dev/null || missing+=(debootstrap)
[ -e /usr/bin/qemu-aarch64-static ] || missing+=(qemu-user-static)
command -v update-binfmts > /dev/null || missing+=(binfmt-support)
if [ "${#missing[@]}" -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# aarch64 binaries run through qemu: binfmt_misc mounted, the handler enabled.
mountpoint -q /proc/sys/fs/binfmt_misc \
    || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 > /dev/null 2>&1 || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
    || { echo "binfmt_misc has no qemu-aarch64 handler: aarch64 binaries cannot run"; exit 1; }

# A root with something still mounted in it (another run of this script)
# is left alone: the rm -rf below must never reach the machine's /dev.
if grep -q " $root/" /proc/mounts; then
    echo "something is mounted under $root (another run?): not touching it"; exit 1
fi

# The chroot's mounts, undone however the script ends.
mounted=()
cleanup() {
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" || true; done
}
trap cleanup EXIT
bind() {
    mountpoint -q "$root$1" || { mount --bind "$1" "$root$1"; mounted+=("$root$1"); }
}
in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root PATH=/venv/bin:/usr/bin:/bin \
        PIP_CERT=/etc/ssl/certs/mmf-host-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"
}

# The root: Debian's python3 and gcc (a marker says debootstrap finished), then
# a venv with the build and test requirements from PyPI's aarch64 wheels
# (another marker).  An interrupted first run resumes where it stopped.
if [ ! -e "$root/.mmf-debootstrap" ]; then
    step "debootstrap --arch=arm64 $suite into $root"
    rm -rf --one-file-system "$root"
    mkdir -p "$root"
    debootstrap --arch=arm64 --variant=minbase \
        --include=python3,python3-dev,python3-venv,gcc,libc6-dev,ca-certificates \
        "$suite" "$root" "$mirror" > "$root.debootstrap.log" 2>&1 \
        || { tail -20 "$root.debootstrap.log"; exit 1; }
    touch "$root/.mmf-debootstrap"
fi
# pip inside trusts what this machine trusts (a proxy's CA, say) and resolves
# names as it does.
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$(python3 -c 'import ssl; p = ssl.get_default_verify_paths(); print(p.cafile or p.openssl_cafile)')" \
    "$root/etc/ssl/certs/mmf-host-ca.crt"
bind /proc; bind /dev; bind /sys
if [ ! -e "$root/.mmf-ready" ]; then
    step "venv with the build and test requirements"
    rm -rf --one-file-system "$root/venv"
    in_root python3 -m venv /venv
    in_root pip install -q --upgrade pip
    in_root pip install -q 'numpy>=2.0' 'scipy>=1.11' 'Cython>=3.0' 'setuptools>=77' \
        'tqdm>=4.60' 'threadpoolctl>=3.1' 'matplotlib>=3.7' \
        'pytest>=7' 'pytest-benchmark>=4' 'hypothesis>=6'
    touch "$root/.mmf-ready"
fi
in_root python -c 'import platform, numpy, scipy; print("root:", platform.machine(),
"python", platform.python_version(), "numpy", numpy.__version__, "scipy", scipy.__version__)'

# The sources as git sees them (tracked and new files, nothing ignored: no
# build outputs), copied into the root and installed there.
step "build and install the package for aarch64"
rm -rf --one-file-system "$root/src"
mkdir -p "$root/src"
git ls-files -z --cached --others --exclude-standard \
    | tar -cf - --no-recursion --null -T - \
    | tar -xf - -C "$root/src"
in_root sh -c 'cd /src && pip install -q --no-build-isolation ".[test]"'

step "pytest ${tests[*]} (hypothesis profile $profile)"
# python -P: the source tree is not on sys.path, the tests import the
# installed package.
in_root sh -c 'cd /src && python -P -c "import makemore_fast.ops as o; print(o.__file__)" &&
    exec python -P -m pytest -q -p no:cacheprovider --durations=10 \
        --hypothesis-profile="$0" "$@"' \
    "$profile" "${tests[@]}"
step "aarch64 tests passed"
