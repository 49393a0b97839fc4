#!/usr/bin/env bash
# The benchmarks: runs every scripts/bench/*.sh in name order and prints
# their figures. Benchmarks, not tests: they are not part of scripts/test.sh.
# Each script builds what it needs in release mode and measures with
# scripts/bench/measure.py (peak RSS of one binary; peak PSS of a process
# tree sampled every 10 ms). Times are given against a baseline in the same
# run where one exists.
#
# usage: scripts/bench.sh [NAME...]     (NAME: zs-chat, zs-tool, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/time ] || { echo "bench.sh: GNU time is needed: apt-get install time" >&2; exit 2; }

status=0
for script in scripts/bench/*.sh; do
    name=$(basename "$script" .sh)
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    echo "== $name"
    bash "$script" || { echo "bench.sh: $name failed" >&2; status=1; }
done
exit $status
