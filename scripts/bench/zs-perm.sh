#!/usr/bin/env bash
# zs-perm benchmarks, run by scripts/bench.sh:
#   - throughput: decisions per second over a stream of 10k assistant
#     messages with mixed tool calls (reads, writes, safe and unknown shell
#     commands, pipelines, paths in and out of the tree, web and MCP calls),
#     run non-interactively, so every ask is answered at once by the policy;
#   - latency: a harness writes one single-call message at a time and times
#     the permission line coming back (the pipe round trip included, so the
#     figure is an upper bound on the decision itself): p50 and p99 per
#     decision (target p99 < 1 ms);
#   - memory: the peak RSS of zs-perm over the whole stream (target < 4 MB).
# The doom-loop history is kept in memory and written once when the stream
# ends (a turn is one process), to a session folder in a temporary directory.
#
# usage: scripts/bench/zs-perm.sh     (ZS_BENCH_MESSAGES: stream length)
set -euo pipefail
cd "$(dirname "$0")/../.."

MESSAGES=${ZS_BENCH_MESSAGES:-10000}
LATENCY_MESSAGES=${ZS_BENCH_LATENCY_MESSAGES:-3000}
target_dir=${CARGO_TARGET_DIR:-target}
repo=$(pwd)

cargo build --quiet --release --bin zs-perm
perm="$repo/$target_dir/release/zs-perm"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/proj/src" "$work/session" "$work/home"
printf 'fn main() {}\n' >"$work/proj/src/main.rs"
ln -s "$work/home" "$work/proj/out"

export HOME="$work/home" ZS_SESSION_DIR="$work/session" ZS_CONFIG="$work/none.json"
unset ZS_ASK_SOCKET ZS_PERM_MODE

# --- the stream ---------------------------------------------------------------
python3 - "$MESSAGES" "$work/stream.jsonl" "$work/latency.jsonl" "$LATENCY_MESSAGES" <<'EOF'
import json, sys
n, path, lat_path, lat_n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
def calls(i):
    # A varying number in every call, so the doom-loop guard stays quiet.
    return [
        ("read", {"path": f"src/file{i}.rs"}),
        ("bash", {"command": f"cargo test -q case_{i} && git diff --stat | head -n {i % 50 + 1}"}),
        ("write", {"path": f"src/gen/out{i}.rs", "content": "x" * 200}),
        ("bash", {"command": f"curl -s https://example.com/{i} | jq .name > out{i}.json"}),
        ("grep", {"pattern": f"fn f{i}", "path": "src"}),
        ("edit", {"path": f"out/notes{i}.md", "old_string": "a", "new_string": "b"}),
        ("bash", {"command": f"for f in src/*.rs; do wc -l \"$f\"; done; echo {i}"}),
        ("webfetch", {"url": f"https://docs.rs/crate{i}"}),
        ("mcp__github__list_issues", {"page": i}),
        ("bash", {"command": f"ls -la src/{i} ; rm -rf build/{i}"}),
    ]
def message(i, cs):
    content = [{"type": "text", "text": f"step {i}"}]
    for k, (name, args) in enumerate(cs):
        content.append({"type": "tool_call", "id": f"call_{i}_{k}", "name": name, "arguments": args})
    return json.dumps({"type": "assistant", "content": content, "stop": "tool_calls",
                       "usage": {"input": 1000, "output": 50}})
total = 0
with open(path, "w") as f:
    for i in range(n):
        all_calls = calls(i)
        # Two to four calls per message, rotating through the mix.
        k = 2 + i % 3
        cs = [all_calls[(i + j) % len(all_calls)] for j in range(k)]
        total += len(cs)
        f.write(json.dumps({"type": "user", "text": f"do step {i}"}) + "\n")
        f.write(message(i, cs) + "\n")
with open(lat_path, "w") as f:
    for i in range(lat_n):
        all_calls = calls(i)
        f.write(message(i, [all_calls[i % len(all_calls)]]) + "\n")
with open(path + ".count", "w") as f:
    f.write(str(total))
EOF
calls=$(cat "$work/stream.jsonl.count")

# --- throughput and memory ----------------------------------------------------
cd "$work/proj"
python3 "$repo/scripts/bench/measure.py" --stdin "$work/stream.jsonl" --stdout "$work/out.jsonl" \
    -- "$perm" --non-interactive deny >"$work/measure.json"
got=$(grep -c '"type":"permission"' "$work/out.jsonl" || true)
if [ "$got" != "$calls" ]; then
    echo "zs-perm.sh: expected $calls decisions, got $got" >&2
    exit 1
fi

# --- latency ------------------------------------------------------------------
# Raw os.read/os.write with a buffer of our own: a readline on an unbuffered
# pipe reads one byte per system call and would time Python, not zs-perm.
python3 - "$perm" "$work/latency.jsonl" >"$work/latency.json" <<'PY'
import json, os, subprocess, sys, time
exe, path = sys.argv[1], sys.argv[2]
lines = [l.encode() for l in open(path)]
def run(cmd, check):  # check: the second line must be a permission
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    fi, fo = p.stdin.fileno(), p.stdout.fileno()
    buf, lat = b"", []
    for l in lines:
        t0 = time.perf_counter_ns()
        os.write(fi, l)
        got = []
        while len(got) < 2:   # the assistant line, then its permission line
            while b"\n" not in buf:
                chunk = os.read(fo, 65536)
                if not chunk:
                    sys.exit(f"{cmd[0]} closed its output")
                buf += chunk
            k = buf.index(b"\n")
            got.append(buf[:k])
            buf = buf[k + 1:]
        lat.append(time.perf_counter_ns() - t0)
        if check and b'"permission"' not in got[1]:
            sys.exit(f"unexpected line: {got[1]!r}")
    p.stdin.close()
    p.wait()
    lat.sort()
    return lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6
z = run([exe, "--non-interactive", "deny"], True)
print(json.dumps({"p50_ms": z(0.5), "p99_ms": z(0.99), "n": len(lines)}))
PY

python3 - "$work/measure.json" "$work/latency.json" "$calls" "$MESSAGES" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
l = json.load(open(sys.argv[2]))
calls, messages = int(sys.argv[3]), int(sys.argv[4])
if m["exit"] != 0:
    sys.exit(f"zs-perm exited {m['exit']}")
rate = calls / (m["wall_ms"] / 1000)
ok_lat = "ok" if l["p99_ms"] < 1 else "MISSED"
rss_mb = m["max_rss_kb"] / 1024
ok_rss = "ok" if rss_mb < 4 else "MISSED"
print(f"zs-perm decisions: {rate:,.0f}/s ({calls} calls in {messages} messages, {m['wall_ms']:.0f} ms); "
      f"p50 {l['p50_ms']:.3f} ms, p99 {l['p99_ms']:.3f} ms per decision (target < 1 ms) {ok_lat}")
print(f"zs-perm peak RSS: {rss_mb:.1f} MB (target < 4 MB) {ok_rss}; peak PSS {m['peak_pss_kb'] / 1024:.1f} MB")
EOF
