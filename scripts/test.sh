#!/usr/bin/env bash
# The project's test command (README.md, .ci/run): formatting, lints, every
# test through cargo-nextest, and shellcheck on the shell scripts. Installs
# what it needs and is missing (shellcheck, GNU time, tmux) from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
[ -x /usr/bin/time ] || need_apt+=(time)
# zs-tui's end-to-end tests drive it in a tmux pane.
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "test.sh: installing ${need_apt[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check

echo "== cargo clippy" >&2
cargo clippy --all-targets --locked -- -D warnings

echo "== shellcheck" >&2
mapfile -t scripts < <(git ls-files '*.sh' 'bins/zerostack' '.ci/run' 2>/dev/null || true)
if [ "${#scripts[@]}" -gt 0 ]; then
    shellcheck "${scripts[@]}"
fi

echo "== tests" >&2
if cargo nextest --version >/dev/null 2>&1; then
    # nextest does not run doctests; the library's examples are checked
    # first, so the closing summary is nextest's count of every test.
    cargo test --locked --doc
    cargo nextest run --locked --no-fail-fast
else
    cargo test --locked --no-fail-fast
fi
