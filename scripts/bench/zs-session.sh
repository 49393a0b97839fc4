#!/usr/bin/env bash
# zs-session benchmarks, run by scripts/bench.sh:
#   - record: the wall time of `zs-session record` storing a 5,000-entry
#     session (every persistent entry fsynced);
#   - context: the median wall time of `zs-session context` on that session
#     (target < 20 ms) and its peak RSS, measured by measure.py.
# The session is a realistic mix: user messages, assistant messages with
# text and a tool call, tool results of 0.2-6 KB, and every 100th result
# 30 KB (so the trimming path runs).
#
# usage: scripts/bench/zs-session.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

RUNS=${ZS_BENCH_RUNS:-50}
ENTRIES=${ZS_BENCH_ENTRIES:-5000}
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --quiet --release --bin zs-session
zs="$root/$target_dir/release/zs-session"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
mkdir -p "$work/proj"
cd "$work/proj"

python3 - "$ENTRIES" >"$work/turns.jsonl" <<'PY'
import json, random, sys
n = int(sys.argv[1])
rnd = random.Random(5000)
words = "the of and to in is that for it as with was on be by this are or from at file line error test function value".split()
def text(k):
    return " ".join(rnd.choice(words) for _ in range(k))
out, i, call, stored = [], 0, 0, 0
def add(e):
    global stored
    out.append(e)
    stored += e["type"] != "text_delta"
while stored < n:
    if i % 12 == 0:
        add({"type": "user", "text": text(rnd.randint(5, 60))})
    elif i % 12 == 11:
        add({"type": "assistant", "content": [{"type": "text", "text": text(rnd.randint(20, 150))}],
                    "stop": "end", "usage": {"input": 20000 + len(out) * 40, "output": 300, "cache_read": 18000, "cache_write": 0, "reasoning": 0},
                    "model": "bench-model"})
    else:
        if stored + 2 > n:
            i = 0
            continue
        call += 1
        cid = f"call_{call:05d}"
        add({"type": "assistant", "content": [
            {"type": "reasoning", "text": text(rnd.randint(10, 40)), "signature": "sig" * 20},
            {"type": "text", "text": text(rnd.randint(3, 20))},
            {"type": "tool_call", "id": cid, "name": "read", "arguments": {"path": f"src/file_{call % 97}.rs"}}],
            "stop": "tool_calls", "usage": {"input": 20000 + len(out) * 40, "output": 120, "cache_read": 18000, "cache_write": 500, "reasoning": 40},
            "model": "bench-model"})
        add({"type": "text_delta", "text": "transient, not stored"})
        size = 30000 if call % 100 == 0 else rnd.randint(200, 6000)
        body = "\n".join(f"{k:6}\t{text(8)}" for k in range(1, size // 50 + 1))
        add({"type": "tool_result", "call_id": cid, "name": "read", "content": body, "is_error": False})
    i += 1
for e in out:
    print(json.dumps(e, separators=(",", ":")))
PY

id=$("$zs" new --print-id --model bench-model)
start=$(date +%s%N)
"$zs" record "$id" <"$work/turns.jsonl" >/dev/null
end=$(date +%s%N)
file="$("$zs" dir "$id").jsonl"
stored=$(($(wc -l <"$file") - 1))
bytes=$(wc -c <"$file")
echo "zs-session record, $stored entries ($((bytes / 1024)) KB, each fsynced): $(((end - start) / 1000000)) ms"

# Warm up once (the first run saves the full text of the big outputs).
"$zs" context "$id" >/dev/null

# Wall time from Python with posix_spawn (measure.py samples every 10 ms,
# too coarse for a target of 20 ms); memory from measure.py.
python3 - "$zs" "$id" "$RUNS" "$stored" <<'PY'
import os, statistics, sys, time
exe, sid, runs, stored = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
devnull = os.open(os.devnull, os.O_WRONLY)
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    pid = os.posix_spawn(exe, [exe, "context", sid], dict(os.environ), file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status = os.waitpid(pid, 0)
    times.append((time.perf_counter() - t0) * 1000)
    if status != 0:
        sys.exit(f"zs-session context failed: status {status}")
med = statistics.median(times)
verdict = "ok" if med < 20 else "MISSED"
print(f"zs-session context, {stored} entries: median {med:.1f} ms over {runs} runs (target < 20 ms) {verdict}")
PY

rss=()
for _ in 1 2 3 4 5; do
    rss+=("$(python3 "$root/scripts/bench/measure.py" -- "$zs" context "$id")")
done
printf '%s\n' "${rss[@]}" | python3 -c '
import json, statistics, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
if any(r["exit"] != 0 for r in runs):
    sys.exit("zs-session context failed under measure.py")
rss = max(r["max_rss_kb"] for r in runs)
pss = max(r["peak_pss_kb"] for r in runs)
wall = statistics.median(r["wall_ms"] for r in runs)
# PSS is sampled every 10 ms, which a run this short may slip between.
pss_text = f"peak PSS {pss / 1024:.1f} MB" if pss else "PSS not sampled (the run is shorter than the 10 ms sampling)"
print(f"zs-session context: peak RSS {rss / 1024:.1f} MB, {pss_text}; measure.py wall median {wall:.0f} ms")
'
