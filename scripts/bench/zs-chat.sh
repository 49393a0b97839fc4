#!/usr/bin/env bash
# zs-chat benchmarks, run by scripts/bench.sh:
#   - start-up: the median wall time of `zs-chat --version` (target < 3 ms);
#   - memory: the peak RSS of zs-chat streaming a reply to a 512 KB
#     (~128k-token) conversation from a local mock-model (target < 8 MB).
# With --sizes it also builds the release binary with opt-level 3, "s" and
# "z", each with panic unwind and abort, in a separate target folder, and
# prints their sizes (slow: six LTO builds).
#
# usage: scripts/bench/zs-chat.sh [--sizes]
set -euo pipefail
cd "$(dirname "$0")/../.."

sizes=0
for arg in "$@"; do
    case "$arg" in
        --sizes) sizes=1 ;;
        *) echo "zs-chat.sh: unknown argument '$arg' (usage: zs-chat.sh [--sizes])" >&2; exit 2 ;;
    esac
done

RUNS=${ZS_BENCH_RUNS:-200}
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --quiet --release --bin zs-chat --example mock-model
chat="$target_dir/release/zs-chat"
mock="$target_dir/release/examples/mock-model"

work=$(mktemp -d)
mock_pid=""
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- start-up ---------------------------------------------------------------
# Timed from Python with posix_spawn, which adds far less than a fork from
# bash with `date` around it would.
python3 - "$chat" "$RUNS" <<'EOF'
import os, statistics, sys, time
exe, runs = sys.argv[1], int(sys.argv[2])
devnull = os.open(os.devnull, os.O_WRONLY)
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    pid = os.posix_spawn(exe, [exe, "--version"], {}, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status = os.waitpid(pid, 0)
    times.append((time.perf_counter() - t0) * 1000)
    if status != 0:
        sys.exit(f"zs-chat --version failed: status {status}")
med = statistics.median(times)
verdict = "ok" if med < 3 else "MISSED"
print(f"zs-chat --version: median {med:.2f} ms over {runs} runs (target < 3 ms) {verdict}")
EOF

# --- memory while streaming ---------------------------------------------------
conv="$work/conversation.jsonl"
python3 - "$conv" <<'EOF'
import json, sys
# A long coding session: a system prompt, tools, and turns of user text,
# assistant tool calls and tool results, to 512 KB in all.
out = open(sys.argv[1], "w")
w = lambda v: out.write(json.dumps(v) + "\n")
w({"type": "system", "text": "You are a careful coding agent. " * 40})
w({"type": "tools", "tools": [
    {"name": n, "description": f"the {n} tool " * 10,
     "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}
    for n in ["read", "write", "edit", "bash", "grep", "glob", "ls"]]})
line = "fn handle(req: &Request) -> Result<Response> { let body = parse(req)?; respond(body) }\n"
n = 0
while out.tell() < 512 * 1024:
    n += 1
    w({"type": "user", "text": f"Step {n}: look at src/module{n}.rs and tell me what it does."})
    w({"type": "assistant", "stop": "tool_calls", "api": "openai-chat",
       "content": [{"type": "text", "text": f"Reading module {n}."},
                   {"type": "tool_call", "id": f"call_{n}", "name": "read",
                    "arguments": {"path": f"src/module{n}.rs"}}]})
    w({"type": "tool_result", "call_id": f"call_{n}", "name": "read",
       "content": line * 40})
w({"type": "user", "text": "Now summarise every module in one paragraph."})
EOF
conv_kb=$(( $(wc -c <"$conv") / 1024 ))

cat >"$work/script.json" <<'EOF'
{"replies": [{"text": "The modules parse requests and answer them. Each one reads a body, checks it, and writes a response; errors are returned to the caller rather than printed. Together they form a small, regular request pipeline with one handler per route.", "reasoning": "Summarise the modules.", "chunk": 4, "usage": {"input": 131072, "output": 64}}], "repeat_last": true}
EOF
"$mock" "$work/script.json" >"$work/url" &
mock_pid=$!
url=""
for _ in $(seq 1 100); do
    url=$(head -n 1 "$work/url" 2>/dev/null || true)
    [ -n "$url" ] && break
    sleep 0.05
done
[ -n "$url" ] || { echo "zs-chat.sh: mock-model did not start" >&2; exit 1; }

mkdir -p "$work/config/zerostack"
printf '{"provider":"openai-compatible","model":"bench","providers":{"openai-compatible":{"base_url":"%s/v1"}}}\n' \
    "$url" >"$work/config/zerostack/config.json"

best_rss=""
for _ in 1 2 3; do
    result=$(env -i PATH="$PATH" HOME="$work" XDG_CONFIG_HOME="$work/config" \
        python3 scripts/bench/measure.py --stdin "$conv" --stdout "$work/out.jsonl" -- "$chat")
    rss=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["exit"]==0, r; print(r["max_rss_kb"])' "$result")
    if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
done
grep -q '"type":"assistant"' "$work/out.jsonl" || { echo "zs-chat.sh: no assistant message in the output" >&2; exit 1; }
rss_mb=$(python3 -c "print(f'{$best_rss/1024:.1f}')")
verdict=$(python3 -c "print('ok' if $best_rss < 8*1024 else 'MISSED')")
echo "zs-chat streaming a reply to a ${conv_kb} KB conversation: peak RSS ${rss_mb} MB (target < 8 MB) ${verdict}"

# --- binary size by profile -----------------------------------------------------
if [ "$sizes" = 1 ]; then
    sizes_dir="$target_dir/bench-sizes"
    for opt in 3 s z; do
        for panic in unwind abort; do
            CARGO_TARGET_DIR="$sizes_dir/$opt-$panic" \
            CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" \
            CARGO_PROFILE_RELEASE_PANIC="$panic" \
                cargo build --quiet --release --bin zs-chat
            bin="$sizes_dir/$opt-$panic/release/zs-chat"
            strip -o "$work/stripped" "$bin"
            printf 'zs-chat size opt-level=%s panic=%s: %s bytes (%s stripped)\n' \
                "$opt" "$panic" "$(wc -c <"$bin")" "$(wc -c <"$work/stripped")"
            # Each variant is a whole LTO build tree; do not keep ~150 MB each.
            rm -rf "${sizes_dir:?}/$opt-$panic"
        done
    done
fi
