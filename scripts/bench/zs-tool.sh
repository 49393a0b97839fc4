#!/usr/bin/env bash
# zs-tool benchmark: the grep tool over a tree of 20,000 files against
# ripgrep on the same tree (median wall time of several runs, and the
# ratio; target: within 1.5x), and zs-tool's peak RSS for that run
# (target: under 10 MB). Run by scripts/bench.sh; builds in release mode.
#
# usage: scripts/bench/zs-tool.sh [RUNS]     (default 7)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs=${1:-7}

if ! command -v rg >/dev/null 2>&1; then
    echo "zs-tool.sh: installing ripgrep" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq ripgrep >/dev/null
fi

cargo build --release --quiet --bin zs-tool
zs_tool=$root/target/release/zs-tool

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/tree

# 200 folders of 100 files, 1 to 4 KiB of code-like text each, the same on
# every run; one file in 211 holds the searched-for name.
python3 - "$tree" <<'EOF'
import os, sys
root = sys.argv[1]
words = ["let", "value", "return", "match", "self", "result", "config", "item",
         "index", "buffer", "error", "parse", "state", "count", "name", "path"]
n = 0
for d in range(200):
    folder = os.path.join(root, f"mod_{d:03}")
    os.makedirs(folder)
    for f in range(100):
        n += 1
        lines = []
        for i in range(20 + (n * 7) % 60):
            w = [words[(n * 31 + i * 7 + k * 3) % len(words)] for k in range(6)]
            lines.append(f"    {w[0]} {w[1]}_{i} = {w[2]}({w[3]}, {w[4]}.{w[5]});")
        if n % 211 == 0:
            lines.insert(len(lines) // 2, f"    fn handle_request_{n}(req: &Request) -> Response {{")
        with open(os.path.join(folder, f"file_{f:03}.rs"), "w") as out:
            out.write(f"// file {n}\n" + "\n".join(lines) + "\n")
EOF

pattern='fn handle_request_[0-9]+\('
echo '{}' > "$work/config.json"
export ZS_CONFIG=$work/config.json

# One measurement: prints "wall_ms max_rss_kb".
measure() {
    python3 "$root/scripts/bench/measure.py" --stdout "$work/out" -- "$@" |
        python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["wall_ms"], m["max_rss_kb"])'
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

cd "$tree"
args=$(printf '{"pattern": "%s", "path": "."}' "${pattern//\\/\\\\}")
# Check both find the same lines before timing anything.
"$zs_tool" call grep "$args" >"$work/zs.json"
zs_count=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["content"]; print(sum(1 for l in c.splitlines() if ":" in l and not l.startswith("[")))' "$work/zs.json")
rg_count=$(rg -n --no-heading "$pattern" . | wc -l)
if [ "$zs_count" != "$rg_count" ]; then
    echo "zs-tool.sh: zs-tool found $zs_count lines, rg $rg_count" >&2
    exit 1
fi

# Warm the page cache, then alternate the two so both see the same machine.
measure "$zs_tool" call grep "$args" >/dev/null
measure rg -n --no-heading "$pattern" . >/dev/null
: >"$work/zs.txt"
: >"$work/rg.txt"
for _ in $(seq "$runs"); do
    measure "$zs_tool" call grep "$args" >>"$work/zs.txt"
    measure rg -n --no-heading "$pattern" . >>"$work/rg.txt"
done

zs_ms=$(cut -d' ' -f1 "$work/zs.txt" | median)
rg_ms=$(cut -d' ' -f1 "$work/rg.txt" | median)
zs_rss=$(cut -d' ' -f2 "$work/zs.txt" | sort -n | tail -1)
files=$(find . -type f | wc -l)
awk -v z="$zs_ms" -v r="$rg_ms" -v f="$files" -v n="$zs_count" -v k="$runs" 'BEGIN {
    printf "zs-tool grep %d files (%d matching lines, median of %d runs): %.0f ms; rg: %.0f ms; ratio %.2f (target <= 1.5)\n", f, n, k, z, r, z / r
}'
awk -v kb="$zs_rss" 'BEGIN { printf "zs-tool grep peak RSS: %.1f MB (target < 10 MB)\n", kb / 1024 }'
