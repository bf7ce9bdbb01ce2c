#!/bin/sh
# Check (and, as root, install) the Debian packages a make target needs.
# Usage: scripts/deps.sh build|bench
# As root, missing packages are installed with apt-get; otherwise the
# exact command is printed and the script fails, so make stops clearly.
set -eu
what=${1:-build}

need=""
want() { # want <package> <test command...>
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then need="$need $pkg"; fi
}
has() { command -v "$1"; }
hdr() { # hdr <header>: is the C header found by the compiler?
    printf '#include <%s>\nint main(void){return 0;}\n' "$1" |
        ${CC:-cc} -x c - -fsyntax-only $(pkg-config --cflags glib-2.0 2>/dev/null) ;
}
cxxhdr() {
    printf '#include <%s>\nint main(){return 0;}\n' "$1" | c++ -x c++ - -fsyntax-only
}

# links <compiler> <flags>: can this compiler link a program with them?
links() {
    cc_=$1; shift
    tmp_=$(mktemp -d)
    printf 'int main(void){return 0;}\n' > "$tmp_/t.c"
    "$cc_" "$@" "$tmp_/t.c" -o "$tmp_/t" >/dev/null 2>&1; r_=$?
    rm -rf "$tmp_"
    return $r_
}

want cmake has cmake
want make has make
want gcc has gcc
want g++ has g++
want clang has clang
want pkg-config has pkg-config
want clang-format has clang-format
want libc6-dev hdr linux/futex.h
want libcmocka-dev pkg-config --exists cmocka
# The sanitizer runtimes: clang's (ASan+UBSan build) live in
# libclang-rt-14-dev, only recommended by clang on Debian 12.
want libclang-rt-14-dev links clang -fsanitize=address,undefined
want libtsan2 links gcc -fsanitize=thread
# CPython's own test suites (lock_tests.py, test_queue.py) run against the
# library through tests/conformance: Debian ships them separately.
want python3 test -x /usr/bin/python3
want libpython3.11-testsuite /usr/bin/python3 -c 'import test.lock_tests'
if [ "$what" = bench ]; then
    want libglib2.0-dev pkg-config --exists glib-2.0
    want libtbb-dev cxxhdr tbb/concurrent_queue.h
    want libconcurrentqueue-dev cxxhdr concurrentqueue/blockingconcurrentqueue.h
    want gnuplot-nox has gnuplot
fi

[ -z "$need" ] && exit 0
cmd="apt-get update && sudo apt-get install -y --no-install-recommends$need"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need
    # clang may only have arrived now: check its runtime once more.
    if ! links clang -fsanitize=address,undefined; then
        apt-get install -y -qq --no-install-recommends libclang-rt-14-dev
    fi
else
    echo "deps: missing packages:$need" >&2
    echo "deps: install them with:  sudo $cmd" >&2
    exit 1
fi
