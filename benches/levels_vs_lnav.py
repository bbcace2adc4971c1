#!/usr/bin/env python3
"""Agreement of opsdeck's level per line with lnav's, per format, over the real log files in
tests/support/fixtures/logs/real/<format>/ (see SOURCES.md there).

    cargo build --bin opsdeck
    python3 benches/levels_vs_lnav.py [--opsdeck target/debug/opsdeck] [--lnav lnav] [--details]

lnav (Debian's 0.11.1) is run headless on each file:
    lnav -n -c ';SELECT log_level, log_format, log_raw_text FROM all_logs' -c ':write-json-to -' FILE
with HOME pointing at a temporary directory holding, besides lnav's built-in formats, the newer
format definitions from lnav's own repository that 0.11.1 lacks (bunyan, pino, Laravel, Rails,
logcat, zap, ecs, rust tracing, ZooKeeper; copied to real/lnav-formats/). opsdeck prints its
reading with `opsdeck logs --explain FILE` (line, level, format).

What is counted: one row per *message* lnav lists in all_logs, at the file line the message
starts (matched by the first line of `log_raw_text`, since `log_line` numbers the time-sorted
view, not the file).
lnav folds continuation lines (stack traces, wrapped text) into the message above and lists no
row for them, so they are not compared. Rows where lnav's level is `unknown` or `invalid` (lnav
gives no level) are left out; files lnav recognises as no log format give no rows at all. lnav's
default `info` (a format with a level rule that did not match, e.g. a syslog message with no
warning or error word) is counted, because that is the level lnav shows. Levels are compared
on opsdeck's six-step scale: lnav's critical is our fatal, notice and stats are info, debug2-5
are debug.
"""
import argparse, collections, json, os, pathlib, shutil, subprocess, sys, tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL = ROOT / "tests/support/fixtures/logs/real"
LNAV_TO_OURS = {
    "trace": "TRACE", "debug": "DEBUG", "debug2": "DEBUG", "debug3": "DEBUG", "debug4": "DEBUG",
    "debug5": "DEBUG", "info": "INFO", "notice": "INFO", "stats": "INFO", "warning": "WARN",
    "error": "ERROR", "critical": "FATAL", "fatal": "FATAL",
}


def lnav_levels(lnav, home, path):
    """lnav's (level, format) per file line. lnav's `log_line` counts lines of its LOG view,
    which is sorted by time and shows a JSON message over several lines, so each row is matched
    back to the file by the first line of its `log_raw_text` instead."""
    env = dict(os.environ, HOME=home, TERM="dumb")
    out = subprocess.run(
        [lnav, "-n", "-c",
         ";SELECT log_level, log_format, log_raw_text FROM all_logs",
         "-c", ":write-json-to -", str(path)],
        env=env, capture_output=True, text=True, errors="replace", timeout=120).stdout
    try:
        found = json.loads(out[out.index("["):]) if "[" in out else []
    except ValueError:
        return {}
    where = collections.defaultdict(collections.deque)
    for number, line in enumerate(path.read_text(errors="replace").split("\n")):
        where[line.rstrip("\r")].append(number)
    rows = {}
    for row in found:
        if not isinstance(row, dict) or not row.get("log_format"):
            continue
        first = (row.get("log_raw_text") or "").split("\n")[0].rstrip("\r")
        if where[first]:
            rows[where[first].popleft()] = (row["log_level"], row["log_format"])
    return rows


def our_levels(opsdeck, path):
    out = subprocess.run([opsdeck, "logs", "--explain", str(path)], capture_output=True,
                         text=True, errors="replace", check=True).stdout
    rows = {}
    for line in out.splitlines():
        number, level, fmt = line.split("\t", 2)
        rows[int(number)] = (level, fmt)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--opsdeck", default=str(ROOT / "target/debug/opsdeck"))
    ap.add_argument("--lnav", default="lnav")
    ap.add_argument("--details", action="store_true", help="print every disagreement")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="lnav-home-")
    installed = pathlib.Path(home, ".lnav/formats/installed")
    installed.mkdir(parents=True)
    for f in (REAL / "lnav-formats").glob("*.json"):
        shutil.copy(f, installed)
    totals = collections.defaultdict(lambda: [0, 0, 0, 0])  # compared, agreed, no level, files
    lnav_formats = collections.defaultdict(set)
    our_formats = collections.defaultdict(collections.Counter)
    for path in sorted(REAL.glob("*/*")):
        if path.parent.name == "lnav-formats" or path.name == "SOURCES.md":
            continue
        theirs = lnav_levels(args.lnav, home, path)
        ours = our_levels(args.opsdeck, path)
        fmt = path.parent.name
        totals[fmt][3] += 1
        for number, (level, lnav_format) in sorted(theirs.items()):
            expected = LNAV_TO_OURS.get(level)
            if expected is None:
                continue
            lnav_formats[fmt].add(lnav_format)
            got, our_format = ours.get(number, ("-", "?"))
            our_formats[fmt][our_format] += 1
            totals[fmt][0] += 1
            if got == expected:
                totals[fmt][1] += 1
            else:
                if got == "-":
                    totals[fmt][2] += 1
                if args.details:
                    text = path.read_text(errors="replace").splitlines()[number][:140]
                    print(f"  {path.relative_to(REAL)}:{number} lnav={level} ours={got} ({our_format}): {text}")
    print("| corpus folder | files | lnav format(s) | lines lnav levels | agree | agreement | ours: no level | opsdeck format(s) |")
    print("|---|---:|---|---:|---:|---:|---:|---|")
    all_compared = all_agreed = 0
    for fmt in sorted(totals):
        compared, agreed, none, files = totals[fmt]
        all_compared += compared
        all_agreed += agreed
        pct = f"{100 * agreed / compared:.1f}%" if compared else "n/a (lnav: no level)"
        ours = ", ".join(f"{k} {v}" for k, v in our_formats[fmt].most_common(3))
        print(f"| {fmt} | {files} | {', '.join(sorted(lnav_formats[fmt])) or '-'} | {compared} | {agreed} | {pct} | {none} | {ours} |")
    if all_compared:
        print(f"| **all** | | | {all_compared} | {all_agreed} | {100 * all_agreed / all_compared:.1f}% | | |")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
