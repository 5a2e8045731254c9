#!/bin/sh
# Build an armhf sysroot holding Debian's Node.js 18 and the libraries it loads,
# so that tinybpf can be run and tested under qemu-arm on an x86 workstation.
#
#   targets/armhf/setup-sysroot.sh [SYSROOT]     (default: targets/armhf/sysroot)
#   targets/armhf/setup-sysroot.sh --force ...   re-download and re-extract
#
# Needs a Debian (bookworm) host with apt. The first run enables the armhf
# architecture in dpkg and refreshes the package lists, which needs root.
# Packages are fetched with `apt-get download` and unpacked with `dpkg -x`:
# nothing is installed on the host. A re-run with a complete sysroot returns at once.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
sysroot=${1:-${TINYBPF_ARMHF_SYSROOT:-$here/sysroot}}
mkdir -p "$sysroot"
sysroot=$(cd "$sysroot" && pwd)
stamp=$sysroot/.complete

if [ "$force" = 0 ] && [ -f "$stamp" ] && [ -x "$sysroot/usr/bin/node" ]; then
  echo "armhf sysroot ready: $sysroot ($(cat "$stamp"))"
  exit 0
fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup-sysroot: '$*' needs root" >&2; exit 1
  fi
}

# 1. Make the armhf package lists available.
if ! dpkg --print-foreign-architectures | grep -qx armhf; then
  echo "enabling the armhf architecture in dpkg"
  as_root dpkg --add-architecture armhf
fi
if ! apt-cache show nodejs:armhf >/dev/null 2>&1; then
  echo "refreshing package lists"
  # A failed index (for example a mirror in mid-sync) is not fatal as long as
  # nodejs:armhf becomes available; the check below decides.
  as_root apt-get -o DPkg::Lock::Timeout=600 update || true
  apt-cache show nodejs:armhf >/dev/null 2>&1 || {
    echo "setup-sysroot: no nodejs:armhf package in the apt sources" >&2; exit 1; }
fi

# 2. The package set: nodejs:armhf and the armhf libraries in its dependency
#    closure (Depends and Pre-Depends, first alternative), plus the
#    architecture-independent JavaScript modules that Debian's node loads from
#    /usr/share/nodejs (acorn, cjs-module-lexer, undici and what they need).
#    Tools that only maintainer scripts use (dpkg, install-info, tar, debconf)
#    are not needed to run node and are left out.
deps() {
  apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "$@" |
  awk '/^[^ ]/ { virt = 0; skip = 0; next }
       virt { virt = 0; if ($0 ~ /^    /) { print $1; next } }
       /^ *\|?(Pre)?Depends:/ {
         if (skip) { skip = ($1 ~ /^\|/); next }
         skip = ($1 ~ /^\|/)
         if ($2 ~ /^</) { virt = 1; next }
         print $2 }'
}
pkgs=" "
level="nodejs:armhf node-acorn node-cjs-module-lexer node-undici"
while [ -n "$level" ]; do
  for p in $level; do pkgs="$pkgs$p "; done
  next=""
  # shellcheck disable=SC2086
  for d in $(deps $level | sort -u); do
    case "$d" in dpkg:armhf|install-info:armhf|tar:armhf|debconf*|nodejs) continue ;; esac
    case "$d" in *:armhf|node-*) ;; *) continue ;; esac
    case "$pkgs" in *" $d "*) continue ;; esac
    next="$next $d"
  done
  level=$next
done

# 3. Download what is not cached yet (file names carry the exact versions, so a
#    newer package in the archive is fetched again) and unpack the set.
debs=$sysroot/.debs
mkdir -p "$debs"
# shellcheck disable=SC2086
files=$(apt-get download --print-uris $pkgs | awk '{ print $2 }')
[ -n "$files" ] || { echo "setup-sysroot: apt-get could not resolve: $pkgs" >&2; exit 1; }
missing=""
for f in $files; do
  [ -f "$debs/$f" ] || missing="$missing ${f%%_*}:$(echo "$f" | sed 's/.*_\([^_]*\)\.deb$/\1/')"
done
if [ -n "$missing" ]; then
  echo "downloading:$missing"
  # shellcheck disable=SC2086
  (cd "$debs" && apt-get -q download $missing) 2>&1 | grep -v 'unsandboxed as root' || true
  for f in $files; do
    [ -f "$debs/$f" ] || { echo "setup-sysroot: download of $f failed" >&2; exit 1; }
  done
fi
for f in "$debs"/*.deb; do
  case " $(echo $files) " in *" ${f##*/} "*) ;; *) rm -f "$f" ;; esac   # stale version
done
for f in $files; do
  dpkg -x "$debs/$f" "$sysroot"
done

# Debian's ld.so searches the multiarch directories by default, so no
# ld.so.cache is needed; an empty one keeps the host's amd64 cache out of view.
mkdir -p "$sysroot/etc"
: > "$sysroot/etc/ld.so.cache"

test -x "$sysroot/usr/bin/node" || { echo "setup-sysroot: no usr/bin/node after unpacking" >&2; exit 1; }
version=$(dpkg-deb -f "$debs"/nodejs_*_armhf.deb Version)
echo "nodejs $version armhf, $(echo "$files" | wc -w) packages" > "$stamp"
echo "armhf sysroot ready: $sysroot ($(cat "$stamp"))"
