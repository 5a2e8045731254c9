#!/bin/sh
# Rebuilds the bench kernels' eBPF objects from bench/kernels/c/*.c: NAME.o, one "raw" program NAME each, for
# -mcpu=v3. The objects are committed, so the bench and its test need no clang; run this after editing a source.
# (The same sources build natively through native-shim.h: bench/programs.mjs compiles them with gcc itself.)
# CLANG overrides the compiler (default: clang-19, else clang).
set -eu
# Debug info records the build directory: map it to "." so the objects do not depend on where they were built.
cd "$(dirname "$0")"
CLANG=${CLANG:-$(command -v clang-19 || command -v clang)}
for src in *.c; do
	name=$(basename "$src" .c)
	"$CLANG" -O2 -g -target bpf -mcpu=v3 -Wall -Werror -fdebug-prefix-map="$PWD"=. -c "$src" -o "$name.o"
	echo "built $name.o"
done
