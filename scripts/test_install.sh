#!/bin/sh
# Install the build into a scratch prefix (through DESTDIR, as packagers
# do) and build a consumer with pkg-config and with find_package.
# Also checks that the shared object exports only ct_ symbols.
# Usage: test_install.sh <source dir> <build dir>
set -eu
src=$1; build=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
DESTDIR="$tmp/dest" cmake --install "$build" --prefix /opt/ct >/dev/null
root="$tmp/dest/opt/ct"
lib=$(ls -d "$root"/lib*/ | head -1)
test -f "$root/include/cthreading.h"
test -f "$root/include/cthreading/core.h"
ls "$lib" | grep -Eq '^libcthreading\.so\.[0-9]+(\.[0-9]+)?$'
ls "$lib" | grep -q '^libcthreading\.a$'

bad=$(nm -D --defined-only "$lib/libcthreading.so" | awk '{print $3}' |
      grep -v '^ct_' | grep -v '^_' || true)
if [ -n "$bad" ]; then echo "exported non-ct_ symbols: $bad" >&2; exit 1; fi
# ct__guard_* are the only double-underscore exports (used by CT_WITH).
inner=$(nm -D --defined-only "$lib/libcthreading.so" | awk '{print $3}' |
        grep '^ct__' | grep -v '^ct__guard_' || true)
if [ -n "$inner" ]; then echo "exported internals: $inner" >&2; exit 1; fi

# pkg-config: the .pc file is relocatable (prefix relative to itself)
got=$(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --variable=prefix cthreading)
[ "$(cd "$got" && pwd -P)" = "$(cd "$root" && pwd -P)" ] ||
    { echo "pkg-config prefix $got is not $root" >&2; exit 1; }
cflags=$(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --cflags cthreading)
libs=$(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --libs cthreading)
# shellcheck disable=SC2086
cc "$src/tests/install/consumer.c" $cflags $libs -o "$tmp/pc_consumer"
LD_LIBRARY_PATH="$lib" "$tmp/pc_consumer"

# The README's example, as printed there, against the installed library.
awk '/^```c$/{on=1; next} on && /^```$/{exit} on' "$src/README.md" \
    > "$tmp/readme.c"
# shellcheck disable=SC2086
cc -std=gnu11 -Wall -Wextra -Werror "$tmp/readme.c" $cflags $libs \
   -o "$tmp/readme"
LD_LIBRARY_PATH="$lib" "$tmp/readme" | grep -qx 'counter = 400000'

# C++: the headers compile as C++17 and the library links from C++.
# shellcheck disable=SC2086
c++ -std=c++17 -Wall -Wextra -Werror -pthread \
    "$src/tests/install/consumer.cpp" $cflags $libs -o "$tmp/cxx_consumer"
LD_LIBRARY_PATH="$lib" "$tmp/cxx_consumer"

# CMake package
cmake -S "$src/tests/install" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$root" \
      >/dev/null
cmake --build "$tmp/cm" >/dev/null
LD_LIBRARY_PATH="$lib" "$tmp/cm/consumer_shared"
"$tmp/cm/consumer_static"
echo "install: ok"
