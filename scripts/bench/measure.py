#!/usr/bin/env python3
"""Runs one command and measures it, for scripts/bench.sh.

Prints one JSON object: wall_ms, user_ms and sys_ms of the command and its
children, max_rss_kb (the peak RSS of the command's own process, as GNU
time reports it from wait4: a single binary's memory) and peak_pss_kb (the peak, over
samples every 10 ms, of PSS summed over the whole process tree, from
/proc/PID/smaps_rollup: a pipeline's memory, counting shared pages once).
GNU time stands between this script and the command because a child forked
from Python carries Python's own high-water mark into its rusage at exec;
its own small footprint is left out of the PSS sum.

usage: measure.py [--stdin FILE] [--stdout FILE] -- CMD [ARG...]
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the ppid is the
        # second field after the last ')'.
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree_pss_kb(root):
    """PSS of every descendant of root, root itself left out."""
    kids = children_map()
    total, stack = 0, list(kids.get(root, []))
    while stack:
        pid = stack.pop()
        stack.extend(kids.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def main():
    args = sys.argv[1:]
    stdin_path = stdout_path = None
    while args and args[0] != "--":
        if args[0] == "--stdin":
            stdin_path, args = args[1], args[2:]
        elif args[0] == "--stdout":
            stdout_path, args = args[1], args[2:]
        else:
            sys.exit(f"measure.py: unknown option {args[0]}")
    cmd = args[1:]
    if not cmd:
        sys.exit(__doc__)
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_file = tempfile.NamedTemporaryFile(prefix="measure-", suffix=".rss")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-q", "-f", "%M", "-o", rss_file.name, *cmd],
        stdin=stdin,
        stdout=stdout,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_pss_kb(proc.pid))
        time.sleep(0.01)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "exit": proc.returncode,
        "wall_ms": round(wall * 1000, 2),
        "user_ms": round((after.ru_utime - before.ru_utime) * 1000, 2),
        "sys_ms": round((after.ru_stime - before.ru_stime) * 1000, 2),
        "max_rss_kb": int(open(rss_file.name).read().split()[-1]),
        "peak_pss_kb": peak,
    }))


if __name__ == "__main__":
    main()
