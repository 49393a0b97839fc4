#!/usr/bin/env bash
# The whole agent, run by scripts/bench.sh: `zerostack -p` on a five-step
# tool task (write a file, read it, edit it, run `cat` and `ls` through
# bash, answer) against the scripted model server on 127.0.0.1, measured
# by measure.py:
#   - peak PSS of the whole process tree (the wrapper and every stage;
#     target < 12 MB);
#   - wall and CPU (user + sys of the tree) per tool round trip (one round
#     of the loop: the wrapper asks for a round, context | chat | perm |
#     tool | record run it, the recorder reports the state; target < 5 ms
#     of CPU). The fixed cost of a run (session, schema, message, starting
#     the five stages, final answer) is measured apart with a one-round
#     task, and the per-round figures are (five rounds - one round) / 4;
#   - baselines: the model's own time, the same five replies fetched
#     straight from the server; the start-up of a process on this machine
#     (bash forking and executing /bin/true), which a task pays once per
#     stage (the stages stay up for all its rounds) and which was most of
#     a round's cost when they were started every round; and the task's
#     own shell command, which one round in four runs through the bash
#     tool.
# The server runs outside the measured tree. `context` on a 5,000-entry
# session is measured by scripts/bench/zs-session.sh.
#
# usage: scripts/bench/zerostack.sh        (ZS_BENCH_RUNS: runs per figure, default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

RUNS=${ZS_BENCH_RUNS:-10}
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --quiet --release --bin zs-chat --bin zs-tool --bin zs-perm --bin zs-session
cargo build --quiet --release --example mock-model
release="$root/$target_dir/release"

work=$(mktemp -d)
mock_pids=()
cleanup() {
    local p
    for p in ${mock_pids[@]+"${mock_pids[@]}"}; do
        kill "$p" 2>/dev/null || :
    done
    rm -rf "$work"
}
trap cleanup EXIT

export HOME="$work" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
export PATH="$release:$PATH" OPENAI_COMPATIBLE_API_KEY=bench TMPDIR="$work"
mkdir -p "$work/config/zerostack" "$work/project"
git -C "$work/project" init -q 2>/dev/null || :

# Script files: the five-step task and the one-round task, each repeated
# once per run (and once more for a warm-up). The server keeps connections
# alive, as providers do, so zs-chat's rounds share one.
python3 - "$work" "$((RUNS + 1))" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
def call(i, name, args):
    return {"tool_calls": [{"id": f"c{i}", "name": name, "arguments": args}]}
five = [
    call(1, "write", {"path": "notes.txt", "content": "one\ntwo\n"}),
    call(2, "read", {"path": "notes.txt"}),
    call(3, "edit", {"path": "notes.txt", "old_string": "two", "new_string": "three"}),
    call(4, "bash", {"command": "cat notes.txt && ls"}),
    {"text": "All done: notes.txt holds one and three."},
]
one = [{"text": "All done: notes.txt holds one and three."}]
for name, task in (("five", five), ("one", one), ("model", five)):
    with open(f"{work}/{name}.json", "w") as f:
        json.dump({"replies": task * n, "keep_alive": True}, f)
PY

# Starts a mock server on a free port with script $1; sets $url.
start_mock() {
    local out="$work/$1.url"
    "$release/examples/mock-model" "$work/$1.json" --port 0 >"$out" &
    mock_pids+=("$!")
    for _ in $(seq 100); do
        [ -s "$out" ] && break
        sleep 0.02
    done
    url=$(head -n 1 "$out")
    [ -n "$url" ] || { echo "zerostack.sh: the mock server did not start" >&2; exit 1; }
}

config() {
    printf '{"provider":"openai-compatible","model":"mock-model","providers":{"openai-compatible":{"base_url":"%s/v1"}}}\n' "$1" \
        >"$work/config/zerostack/config.json"
}

# Runs the task $1 against the server at $2 RUNS times (after a warm-up)
# under measure.py and prints the median of each figure as JSON.
measure() {
    local task=$1
    config "$2"
    cd "$work/project"
    "$root/bins/zerostack" -p "make notes.txt" >/dev/null 2>&1
    for _ in $(seq "$RUNS"); do
        python3 "$root/scripts/bench/measure.py" --stdout "$work/out" -- \
            "$root/bins/zerostack" -p "make notes.txt" 2>>"$work/stderr"
        grep -q "All done" "$work/out" || { echo "zerostack.sh: the $task task failed:" >&2; cat "$work/stderr" >&2; exit 1; }
    done | python3 -c '
import json, statistics, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
if any(r["exit"] != 0 for r in runs):
    sys.exit("zerostack.sh: a run failed")
med = lambda k: statistics.median(r[k] for r in runs)
print(json.dumps({"wall_ms": med("wall_ms"), "cpu_ms": statistics.median(r["user_ms"] + r["sys_ms"] for r in runs),
                  "pss_kb": max(r["peak_pss_kb"] for r in runs), "rss_kb": max(r["max_rss_kb"] for r in runs)}))
'
    cd "$root"
}

# The servers start here, in this shell, so the cleanup knows them.
start_mock five
five_url=$url
start_mock one
one_url=$url
start_mock model
model_url=$url

five=$(measure five "$five_url")
one=$(measure one "$one_url")

# The baseline: the model alone, the same five replies streamed straight
# from the server over HTTP, as zs-chat asks for them.
model=$(python3 - "$model_url" "$RUNS" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
url, runs = urllib.parse.urlparse(sys.argv[1]), int(sys.argv[2])
body = json.dumps({"model": "mock-model", "stream": True, "messages": [{"role": "user", "content": "x"}]})
def task():
    t0 = time.perf_counter()
    for _ in range(5):
        c = http.client.HTTPConnection(url.hostname, url.port)
        c.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        c.close()
    return (time.perf_counter() - t0) * 1000
task()
print(statistics.median(task() for _ in range(runs)))
PY
)

# The cost of starting a process, from bash, as the wrapper starts each
# stage: user + sys of 500 fork-and-execs of /bin/true.
# shellcheck disable=SC2016 # the loop is for the inner bash to expand
spawn=$(/usr/bin/time -f "%U %S" bash -c 'for _ in $(seq 500); do /bin/true; done' 2>&1 | tail -n 1)

# The task's own command: one of the four tool rounds runs it through the
# bash tool, so a quarter of its cost is in every round's figure, and none
# of it is zerostack's. user + sys of 100 runs, in the project folder.
# shellcheck disable=SC2016 # the loop is for the inner bash to expand
command=$(cd "$work/project" && /usr/bin/time -f "%U %S" bash -c 'for _ in $(seq 100); do bash -c "cat notes.txt && ls" >/dev/null; done' 2>&1 | tail -n 1)

python3 - "$five" "$one" "$model" "$RUNS" "$spawn" "$command" <<'PY'
import json, sys
five, one, model, runs = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
user, sys_ = (float(x) for x in sys.argv[5].split())
spawn = (user + sys_) * 1000 / 500
user, sys_ = (float(x) for x in sys.argv[6].split())
command = (user + sys_) * 1000 / 100
rounds = 4
wall = (five["wall_ms"] - one["wall_ms"]) / rounds
cpu = (five["cpu_ms"] - one["cpu_ms"]) / rounds
pss = five["pss_kb"] / 1024
ok = lambda good: "ok" if good else "MISSED"
print(f"zerostack five-step task: peak PSS of the process tree: {pss:.1f} MB (target < 12 MB) {ok(pss < 12)}")
print(f"zerostack five-step task: wall {five['wall_ms']:.0f} ms, CPU {five['cpu_ms']:.0f} ms (median of {runs} runs)")
print(f"zerostack one-round task (the fixed cost of a run): wall {one['wall_ms']:.0f} ms, CPU {one['cpu_ms']:.0f} ms")
print(f"zerostack per tool round trip: wall {wall:.1f} ms")
print(f"zerostack per tool round trip: CPU {cpu:.1f} ms (target < 5 ms) {ok(cpu < 5)}")
print(f"zerostack baseline, the model alone (five replies from the server): {model:.1f} ms wall, {model / 5:.2f} ms per reply")
print(f"zerostack baseline, starting a process (bash fork + exec of /bin/true): {spawn:.2f} ms CPU; five stages, {5 * spawn:.1f} ms, paid once per task")
print(f"zerostack baseline, the task's command (bash -c \"cat notes.txt && ls\", run in one round of four): {command:.2f} ms CPU, {command / 4:.2f} ms per round")
PY
