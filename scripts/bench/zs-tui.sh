#!/usr/bin/env bash
# zs-tui benchmarks, run by scripts/bench.sh: the front end at rest, on a
# pseudo-terminal of 100x30 (scripts/bench/tui_idle.py), with a config
# pointing at an idle scripted model server:
#   - memory: RSS of the zs-tui process 3 s after start (target < 6 MB);
#   - idle CPU: utime + stime of zs-tui over 30 s without input (target 0
#     ticks), and the bytes it draws meanwhile (0: no redraw when nothing
#     happens);
#   - keypress to screen: a printable key written to the terminal until
#     zs-tui draws it, p50 and p99 over 200 keys with Backspace between.
#
# usage: scripts/bench/zs-tui.sh
#   ZS_BENCH_IDLE_S: idle seconds (default 30); ZS_BENCH_KEYS: keys (200)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

IDLE=${ZS_BENCH_IDLE_S:-30}
KEYS=${ZS_BENCH_KEYS:-200}
target_dir=${CARGO_TARGET_DIR:-target}

# zs-tui alone is measured, but it looks for the wrapper's stages beside
# itself at start; the mock serves the (never used) model.
cargo build --quiet --release --bins
cargo build --quiet --release --example mock-model
release="$root/$target_dir/release"

work=$(mktemp -d)
mock_pid=
cleanup() {
    [ -z "$mock_pid" ] || kill "$mock_pid" 2>/dev/null || :
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/config/zerostack" "$work/project"
git -C "$work/project" init -q 2>/dev/null || :
printf '{"replies":[]}\n' >"$work/script.json"
"$release/examples/mock-model" "$work/script.json" --port 0 >"$work/url" &
mock_pid=$!
for _ in $(seq 100); do
    [ -s "$work/url" ] && break
    sleep 0.02
done
url=$(head -n 1 "$work/url")
[ -n "$url" ] || { echo "zs-tui.sh: the mock server did not start" >&2; exit 1; }
printf '{"provider":"openai-compatible","model":"mock-model","providers":{"openai-compatible":{"base_url":"%s/v1"}}}\n' "$url" \
    >"$work/config/zerostack/config.json"

# The interpreter itself, not a shim that needs the caller's environment.
py=$(python3 -c 'import sys; print(sys.executable)')
cd "$work/project"
env -i HOME="$work" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
    XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" TMPDIR="$work" \
    PATH="$release:$root/bins:/usr/bin:/bin" TERM=xterm-256color LANG=C.UTF-8 \
    OPENAI_COMPATIBLE_API_KEY=bench \
    "$py" "$root/scripts/bench/tui_idle.py" --idle "$IDLE" --keys "$KEYS" \
    -- "$release/zs-tui" >"$work/tui.json"
cd "$root"

cat "$work/tui.json"
python3 - "$work/tui.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ok = lambda good: "ok" if good else "MISSED"
rss_mb = r["rss_kb"] / 1024
print(f"zs-tui RSS 3 s after start: {rss_mb:.1f} MB (target < 6 MB) {ok(rss_mb < 6)}")
print(f"zs-tui idle: {r['idle_ticks']} CPU ticks over {r['idle_s']:g} s "
      f"(1 tick = {1000 / r['clk_tck']:.0f} ms; target 0) {ok(r['idle_ticks'] == 0)}; "
      f"{r['idle_bytes']} bytes drawn {ok(r['idle_bytes'] == 0)}")
print(f"zs-tui keypress to screen: p50 {r['key_p50_ms']:.2f} ms, p99 {r['key_p99_ms']:.2f} ms "
      f"over {r['keys']} keys")
if r.get("exit") != 0:
    print(f"zs-tui.sh: Ctrl-D on the empty prompt did not end zs-tui cleanly (exit {r.get('exit')})",
          file=sys.stderr)
    sys.exit(1)
EOF
