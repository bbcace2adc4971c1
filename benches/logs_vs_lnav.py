#!/usr/bin/env python3
"""Time to the first frame that shows the end of a 1,000,000-line log file: `opsdeck logs FILE`
against lnav, both in a real pseudo-terminal (120x40), the screen decoded with pyte.

    cargo build --release --bin opsdeck
    python3 benches/logs_vs_lnav.py [--lines 1000000] [--runs 7] [--opsdeck target/release/opsdeck]

Needs `lnav` (Debian package) and `pyte` (pip). The file is generated once in /tmp: one plain
line per entry, ISO timestamp, level word, worker, batch number and a trace id (a format both
tools recognise). A run ends when the screen shows the last line's batch number; the process
then gets `q`. Medians are printed, with opsdeck/lnav as the ratio.
"""
import argparse, fcntl, os, random, select, statistics, struct, subprocess, termios, time

import pyte

COLS, ROWS = 120, 40


def make_file(path, lines):
    if os.path.exists(path) and sum(1 for _ in open(path, "rb")) == lines:
        return
    random.seed(1)
    levels = ["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"]
    with open(path, "w") as f:
        for i in range(lines):
            s = i // 12
            ts = "2026-11-22T%02d:%02d:%02d.%03dZ" % (s // 3600 % 24, s // 60 % 60, s % 60, i % 1000)
            f.write("%s %s [cart-worker-%d] processed batch %d of 512 items in %dms trace_id=%032x\n"
                    % (ts, random.choice(levels), i % 7, i, i % 90, i))


def first_frame_with(needle, cmd, timeout=120.0):
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                         start_new_session=True,
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    found = None
    while time.monotonic() - t0 < timeout:
        r, _, _ = select.select([master], [], [], 1)
        if not r:
            continue
        try:
            data = os.read(master, 1 << 20)
        except OSError:
            break
        stream.feed(data)
        if any(needle in line for line in screen.display):
            found = time.monotonic() - t0
            break
    try:
        os.write(master, b"q")
        p.wait(3)
    except Exception:
        p.kill()
    os.close(master)
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--opsdeck", default=os.path.expanduser("~/.cache/opsdeck-target/release/opsdeck"))
    a = ap.parse_args()
    path = "/tmp/opsdeck-bench-%d.log" % a.lines
    make_file(path, a.lines)
    needle = "batch %d " % (a.lines - 1)
    results = {}
    for name, cmd in [("opsdeck", [a.opsdeck, "logs", path]), ("lnav", ["lnav", path])]:
        times = [first_frame_with(needle, cmd) for _ in range(a.runs)]
        ok = [t for t in times if t is not None]
        results[name] = statistics.median(ok) if ok else None
        print("%-8s %s  runs: %s" % (name, "%.3f s" % results[name] if ok else "timeout",
                                     " ".join("%.3f" % t if t else "-" for t in times)))
    if results["opsdeck"] and results["lnav"]:
        print("lnav / opsdeck = %.2f" % (results["lnav"] / results["opsdeck"]))


if __name__ == "__main__":
    main()
