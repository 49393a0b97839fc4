#!/usr/bin/env python3
"""zs-tui at rest and under one finger, for scripts/bench/zs-tui.sh.

Starts zs-tui on a pseudo-terminal of its own (100x30, its controlling
terminal), keeps reading what it draws, and measures:

  rss_kb           VmRSS of the zs-tui process 3 s after start;
  idle_ticks       utime + stime (clock ticks, /proc/PID/stat) spent over
                   IDLE seconds with no input (target 0: the main thread
                   blocks on one channel, the terminal reader on read);
  idle_bytes       bytes drawn over the same idle time (0: no redraw when
                   nothing happens);
  key_p50_ms, key_p99_ms
                   keypress to screen: a printable key written to the
                   terminal, until that character arrives in what zs-tui
                   draws (escape sequences left out); Backspace between
                   keys, so the editor is empty before each one.

The few queries a terminal must answer (cursor position, device
attributes) are answered as a terminal would, so zs-tui never waits on
them. Prints one JSON line.

usage: tui_idle.py [--idle SECONDS] [--keys N] -- ZS-TUI [ARG...]
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ROWS, COLS = 30, 100
KEY = b"Q"  # no escape sequence ends in it, and it is in no status bar word
BACKSPACE = b"\x7f"
CTRL_D = b"\x04"
# CSI, OSC (ended by BEL or ST), and two-byte escapes.
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


class Term:
    """The master side of the pty: reads, answers queries, keeps output."""

    def __init__(self, fd):
        self.fd = fd
        self.out = bytearray()
        self.total = 0

    def pump(self, timeout):
        """Reads what is there within `timeout` seconds; False at EOF."""
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        self.total += len(data)
        self.out += data
        self.answer(data)
        return True

    def answer(self, data):
        # Cursor position report, then primary device attributes: a
        # terminal that supports neither kitty keyboard nor anything fancy.
        if b"\x1b[6n" in data:
            os.write(self.fd, b"\x1b[1;1R")
        if b"\x1b[c" in data or b"\x1b[0c" in data:
            os.write(self.fd, b"\x1b[?62;22c")

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.pump(end - time.monotonic()):
                return False
        return True

    def settle(self, quiet, limit):
        """Reads until nothing came for `quiet` seconds (at most `limit`)."""
        end = time.monotonic() + limit
        last = self.total
        while time.monotonic() < end:
            if not self.pump(quiet):
                return
            if self.total == last:
                return
            last = self.total


def stat_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    # Fields after the name: state is 3rd overall, utime 14th, stime 15th.
    return int(fields[11]) + int(fields[12])


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(sorted_values, q):
    i = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return sorted_values[i]


def main():
    args = sys.argv[1:]
    idle, keys = 30.0, 200
    while args and args[0] != "--":
        if args[0] == "--idle":
            idle, args = float(args[1]), args[2:]
        elif args[0] == "--keys":
            keys, args = int(args[1]), args[2:]
        else:
            sys.exit(f"tui_idle.py: unknown option {args[0]}")
    cmd = args[1:]
    if not cmd:
        sys.exit(__doc__)

    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        # The child: the pty is its controlling terminal (pty.fork made it
        # so); give it its size before zs-tui asks.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)

    term = Term(fd)
    result = {"rows": ROWS, "cols": COLS}
    try:
        # The first screen, then rest until 3 s after start.
        term.settle(0.3, 10)
        if not term.drain(start + 3 - time.monotonic()):
            sys.exit("tui_idle.py: zs-tui exited at start:\n"
                     + ESCAPES.sub(b"", bytes(term.out)).decode(errors="replace"))
        result["rss_kb"] = vm_rss_kb(pid)
        result["startup_bytes"] = term.total

        # Idle: nothing written to it, everything it draws read.
        t0, before = stat_ticks(pid), term.total
        if not term.drain(idle):
            sys.exit("tui_idle.py: zs-tui exited while idle")
        result["idle_s"] = idle
        result["idle_ticks"] = stat_ticks(pid) - t0
        result["idle_bytes"] = term.total - before
        result["clk_tck"] = os.sysconf("SC_CLK_TCK")

        # Keypress to screen. A few keys first to warm up.
        lat = []
        for i in range(keys + 10):
            term.out.clear()
            t = time.perf_counter()
            os.write(fd, KEY)
            end = time.monotonic() + 5
            while KEY not in ESCAPES.sub(b"", bytes(term.out)):
                if time.monotonic() > end or not term.pump(end - time.monotonic()):
                    sys.exit(f"tui_idle.py: key {i} never reached the screen")
            elapsed = time.perf_counter() - t
            if i >= 10:
                lat.append(elapsed * 1000)
            os.write(fd, BACKSPACE)
            term.settle(0.02, 2)
        lat.sort()
        result["keys"] = len(lat)
        result["key_p50_ms"] = pct(lat, 0.5)
        result["key_p99_ms"] = pct(lat, 0.99)

        # Quit as a person would: Ctrl-D on the empty prompt.
        os.write(fd, CTRL_D)
        end = time.monotonic() + 5
        code = None
        while time.monotonic() < end:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                break
            term.pump(0.05)
        result["exit"] = code
    finally:
        try:
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    print(json.dumps(result))


if __name__ == "__main__":
    main()
