#!/usr/bin/env bash
# The portable build's C (MMF_PORTABLE): every csrc/*.c compiled as ISO C11
# (-std=c11 -pedantic-errors -DMMF_PORTABLE -c), once with Debian's mingw-w64
# cross compiler for Windows (the route MSVC takes: csrc/threads.c's Win32
# branch) and once with this machine's compiler (the Linux portable build),
# then read back for GNU extensions (attributes, builtins, vector types,
# inline assembly), which -std=c11 alone does not reject.  What is read is the
# code that the preprocessor keeps (its #if and #ifdef decided, its macros
# not expanded, so that a system header's macro is not counted), the active
# #define lines included; only csrc/threads.c, the threads shim, may use them.
# No Python headers: csrc/ is plain C.  Then tools/shim-check.c, linked
# with csrc/parallel.c and csrc/threads.c, runs here and, where Wine is
# installed (it is not installed for this), as a Windows program.
#
#   tools/check-portable.sh     (installs mingw-w64 with apt-get when missing;
#                                CC names this machine's compiler, default gcc)
#
# Prints one line per file and compiler; exits non-zero when any fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mingw=x86_64-w64-mingw32-gcc

if ! command -v "$mingw" > /dev/null; then
    echo "== apt-get install mingw-w64"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q mingw-w64
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
extensions='__attribute__|__builtin_|__atomic_|__sync_|vector_size|target_clones|__asm__|asm[[:space:]]*\('
flags=(-std=c11 -pedantic-errors -Wall -O2 -DMMF_PORTABLE -Icsrc)
failed=0
for cc in "$mingw" "${CC:-gcc}"; do
    echo "== $($cc --version | head -1): $cc ${flags[*]} -c"
    for src in csrc/*.c; do
        if ! $cc "${flags[@]}" -c "$src" -o "$work/out.o" 2> "$work/log"; then
            echo "FAIL $src: does not compile"
            grep -m 5 "error" "$work/log" || true
            failed=1
            continue
        fi
        # Lines of csrc/ (not of system headers, not of the shim) that the
        # preprocessor keeps, each tagged with the file and line it came from.
        $cc "${flags[@]}" -E -fdirectives-only "$src" | awk -v pat="$extensions" '
            /^# [0-9]+ "/ { file = $3; gsub(/"/, "", file); line = $2; next }
            { if (file ~ /^csrc\// && file !~ /^csrc\/threads\./ && $0 ~ pat)
                  print file ":" line ": " substr($0, 1, 100)
              line++ }' | sort -u > "$work/ext"
        warnings=$(grep -c "warning:" "$work/log" || true)
        if [ -s "$work/ext" ]; then
            echo "FAIL $src: GNU extensions outside the threads shim"
            head -5 "$work/ext"
            failed=1
        else
            echo "ok   $src ($warnings warnings)"
        fi
    done
done
echo "== tools/shim-check.c: parallel.h over the threads shim"
shim=(tools/shim-check.c csrc/parallel.c csrc/side_choice.c csrc/threads.c)
echo "-- built by ${CC:-gcc}, run here"
if "${CC:-gcc}" -std=c11 -O2 -pthread -DMMF_PORTABLE -Icsrc "${shim[@]}" -o "$work/shim" \
        && "$work/shim"; then :; else failed=1; fi
wine=$(command -v wine || command -v /usr/lib/wine/wine64 || true)
if [ -n "$wine" ]; then
    # Wine's own messages (a new prefix's setup) go to wine.log; its server
    # is waited for before the prefix is removed.
    export WINEPREFIX="$work/wine" WINEDEBUG=-all
    echo "-- built by $mingw, run by $("$wine" --version)"
    if "$mingw" -std=c11 -O2 -DMMF_PORTABLE -Icsrc "${shim[@]}" -o "$work/shim.exe" \
            && "$wine" "$work/shim.exe" 2> "$work/wine.log"; then :
    else cat "$work/wine.log"; failed=1; fi
    "$(dirname "$wine")/wineserver" -w 2> /dev/null || wineserver -w 2> /dev/null || true
else
    echo "the Windows build of it not run: no wine"
fi
exit "$failed"
