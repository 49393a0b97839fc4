#!/usr/bin/env bash
# Builds zerostack in release mode and installs the binaries, the zerostack
# wrapper and the man pages into a prefix (default ~/.local).
#
# usage: scripts/install.sh [--prefix DIR]      (or PREFIX=DIR)
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${PREFIX:-$HOME/.local}"
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a folder}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: error: cargo not found: install Rust (https://rustup.rs) first" >&2
    exit 2
fi

cargo build --release --locked --bins

bin="$prefix/bin"
man1="$prefix/share/man/man1"
man7="$prefix/share/man/man7"
mkdir -p "$bin" "$man1" "$man7"

# The binaries are whatever [[bin]] targets Cargo.toml declares.
mapfile -t names < <(sed -n 's/^name = "\(zs-[a-z]*\)"$/\1/p' Cargo.toml)
for name in "${names[@]}"; do
    install -m 0755 "target/release/$name" "$bin/$name"
done
install -m 0755 bins/zerostack "$bin/zerostack"
for page in man/*.1; do
    [ -e "$page" ] && install -m 0644 "$page" "$man1/"
done
for page in man/*.7; do
    [ -e "$page" ] && install -m 0644 "$page" "$man7/"
done

echo "installed zerostack and ${names[*]} into $bin" >&2
case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "note: $bin is not in PATH; add it to run 'zerostack' by name" >&2 ;;
esac
