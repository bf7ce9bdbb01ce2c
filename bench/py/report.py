"""Turn a benchmark results directory into results.json and gnuplot PNGs.

Usage: report.py RESULTS_DIR [--markdown]  (RESULTS_DIR holds results.tsv
and machine.txt from bench/run.sh; --markdown prints the tables for
docs/performance.md instead of plotting). One plot per (case, param, metric) measured at more than
one thread count: throughput (1000 / median, i.e. millions of operations
per second) against threads, one line per variant."""
import csv
import json
import os
import re
import shutil
import subprocess
import sys


def num(s):
    try:
        v = float(s)
    except ValueError:
        return None
    return None if v != v else v  # NaN -> None


def fmt(v):
    if v is None:
        return "-"
    if v >= 1e5:
        return "%.0f" % v
    if v >= 100:
        return "%.1f" % v
    if v >= 1:
        return "%.2f" % v
    return "%.3g" % v


def markdown(rows, cores):
    """Print one Markdown table per case (for docs/performance.md)."""
    cases = []
    for r in rows:
        if r["case"] not in cases:
            cases.append(r["case"])
    for case in cases:
        print("\n### %s\n" % case)
        print("| sub-case | T | variant | metric | median | min-max | "
              "ratio alt/ct | notes |")
        print("|---|---:|---|---|---:|---:|---:|---|")
        rs = [r for r in rows if r["case"] == case]
        for r in [r for r in rs if r["status"] == "ok"]:
            t = str(r["threads"]) if r["threads"] > 0 else "-"
            if r["oversubscribed"]:
                t += "*"
            ratio = ("1 (ref)" if r["variant"] == "cthreading"
                     else fmt(r["ratio_vs_ct"]))
            print("| %s | %s | %s | %s | %s | %s-%s | %s | %s |" % (
                r["param"], t, r["variant"], r["metric"], fmt(r["median"]),
                fmt(r["min"]), fmt(r["max"]), ratio,
                "" if r["notes"] == "-" else r["notes"]))
        for r in [r for r in rs if r["status"] != "ok"]:
            print("| %s | - | %s | | %s | | | %s |" % (
                r["param"], r["variant"], r["status"], r["notes"]))


def main():
    out = sys.argv[1]
    machine = {}
    with open(os.path.join(out, "machine.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(": ")
            machine[k] = v
    rows = []
    tsv = os.path.join(out, "results.tsv")
    if os.path.exists(tsv):
        with open(tsv) as f:
            for r in csv.DictReader(f, delimiter="\t"):
                for k in ("median", "min", "max", "rate_M_per_s",
                          "ratio_vs_ct", "share_min", "share_max"):
                    r[k] = num(r[k])
                for k in ("threads", "oversubscribed", "reps"):
                    r[k] = int(r[k])
                rows.append(r)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": machine, "rows": rows}, f, indent=1)
    if "--markdown" in sys.argv[2:]:
        markdown(rows, machine.get("cores", "?"))
        return 0

    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("report.py: gnuplot missing: no plots", file=sys.stderr)
        return 0
    groups = {}
    for r in rows:
        if r["status"] != "ok" or r["threads"] <= 0:
            continue
        key = (r["case"], r["param"], r["metric"])
        groups.setdefault(key, {}).setdefault(r["variant"], []).append(r)
    pdir = os.path.join(out, "plots")
    os.makedirs(pdir, exist_ok=True)
    made = 0
    for (case, param, metric), variants in groups.items():
        threads = {r["threads"] for v in variants.values() for r in v}
        if len(threads) < 2:
            continue
        slug = re.sub(r"[^A-Za-z0-9]+", "_",
                      "%s_%s_%s" % (case, param, metric)).strip("_").lower()
        plots = []
        for i, (name, rs) in enumerate(variants.items()):
            dat = os.path.join(pdir, "%s.%d.dat" % (slug, i))
            with open(dat, "w") as f:
                for r in sorted(rs, key=lambda r: r["threads"]):
                    lo, hi = r["max"], r["min"]  # rate: 1000/ns flips them
                    f.write("%d %g %g %g\n" % (
                        r["threads"], 1e3 / r["median"], 1e3 / lo, 1e3 / hi))
            plots.append("'%s' using 1:2:3:4 with yerrorlines lw 2 "
                         "title '%s'" % (dat, name.replace("'", "")))
        cores = machine.get("cores", "?")
        gp = "\n".join([
            "set terminal pngcairo size 900,560 font ',10' noenhanced",
            "set output '%s'" % os.path.join(pdir, slug + ".png"),
            "set title '%s: %s (%s cores; rate = 1000 / median %s)'" % (
                case, param, cores, metric),
            "set xlabel 'threads'",
            "set ylabel 'million operations per second'",
            "set logscale x 2", "set logscale y", "set grid",
            "set key outside right",
            "set arrow from %s, graph 0 to %s, graph 1 nohead dt 2" % (
                cores, cores) if cores.isdigit() else "",
            "set label ' = cores: oversubscribed beyond' at %s, graph 0.04"
            % cores if cores.isdigit() else "",
            "plot " + ", ".join(plots), ""])
        subprocess.run([gnuplot], input=gp, text=True, check=True)
        for i in range(len(variants)):
            os.remove(os.path.join(pdir, "%s.%d.dat" % (slug, i)))
        made += 1
    print("report.py: results.json, %d plots in %s" % (made, pdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
