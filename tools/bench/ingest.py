#!/usr/bin/env python3
"""Ingest benchmark: `receval ingest` against DuckDB's JSONL -> Parquet (zstd), same run, same data.

    python3 tools/bench/ingest.py --exposures 1000000 [--runs 3] [--keep DIR]
                                  [--receval PATH] [--memory-limit 1G] [--threads 2] [--json FILE]

Both tools convert the same exposures.jsonl + outcomes.jsonl + assignments.jsonl:

  receval  one `receval ingest` process writing one dataset file (default codec zstd);
  duckdb   one Python process running three `COPY (SELECT * FROM read_json(...)) TO ... (FORMAT
           parquet, COMPRESSION zstd)` statements with explicit column types, SET threads = --threads.

Every run of either tool is a fresh process under `/usr/bin/time -v` (for peak RSS; wait4's rusage
when GNU time is missing), pinned to the same CPUs. Runs alternate between the tools (receval first
on even runs, DuckDB first on odd runs) so that load from other jobs falls on both alike. The input
files are read once before timing so both tools start from a warm page cache.

Reported per tool: median seconds, MB/s of JSONL input (1 MB = 1e6 bytes), exposure lines/s, peak
RSS, CPU seconds (user + system), output bytes and row counts; and the ratios receval/DuckDB for
throughput (DuckDB seconds / receval seconds: above 1 means receval is faster), CPU seconds (same
direction), output size (below 1 means receval's output is smaller) and peak RSS.
"seconds" for receval is the wall time of its process; for DuckDB it is the time of the three COPY
statements measured inside the process (interpreter and `import duckdb` excluded, as in the
published DuckDB anchors); both process wall times are recorded as well. CPU seconds are counted
the same way (whole process for receval, the COPY statements for DuckDB). On a shared machine CPU
seconds move less with other jobs' load than wall seconds do.

Data come from `receval gen --exposures N --seed SEED --out DIR` (byte-identical to the generator
the published peer anchors used, for the same N and seed). Generated data are kept in --keep DIR
(default /tmp/receval-bench-N) and reused while their sizes match.

--memory-limit is passed to `receval ingest --memory-limit` and, converted to bytes with the same
binary units (1G = 2^30), to DuckDB's `SET memory_limit` (which bounds DuckDB's buffer manager, not
its whole RSS). Without it each tool keeps its own default.

Timed benchmarks are never part of the unit tests; run this script by hand.
"""
import argparse
import datetime
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import (DUCKDB_TABLES, TABLE_NAMES, cached_jsonl, count_lines, duckdb_reader,  # noqa: E402
                    fmt_load, generate_jsonl, git_state, ingest_cmd, loadavg, log, machine_info,
                    parse_gnu_time, pinned_cpus, private_copy, resolve_receval, result_line, run_pinned,
                    sql_str, warm_page_cache, write_json_atomic)

# ----------------------------------------------------------------------------------------------
# DuckDB side (runs in a child process: `ingest.py _duckdb_worker ...`)


def duckdb_worker(argv):
    ap = argparse.ArgumentParser(prog="ingest.py _duckdb_worker")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--memory-limit-bytes", type=int)
    a = ap.parse_args(argv)
    import duckdb

    con = duckdb.connect()  # in-memory database
    con.execute(f"SET threads = {a.threads}")
    if a.memory_limit_bytes:
        con.execute(f"SET memory_limit = '{a.memory_limit_bytes}B'")
    res = {"version": duckdb.__version__,
           "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
           "memory_limit": con.execute("SELECT current_setting('memory_limit')").fetchone()[0]}
    os.makedirs(a.out, exist_ok=True)
    per = {}
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    for name, cols in DUCKDB_TABLES.items():
        src = os.path.join(a.data, f"{name}.jsonl")
        dst = os.path.join(a.out, f"{name}.parquet")
        t0 = time.perf_counter()
        con.execute(f"COPY (SELECT * FROM {duckdb_reader(src, cols)}) TO {sql_str(dst)} "
                    f"(FORMAT parquet, COMPRESSION zstd)")
        dt = time.perf_counter() - t0
        per[name] = {"seconds": dt, "out_bytes": os.path.getsize(dst)}
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    res["cpu_s"] = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    # Row counts are read back after the timed part.
    for name in DUCKDB_TABLES:
        dst = os.path.join(a.out, f"{name}.parquet")
        per[name]["rows"] = con.execute(f"SELECT count(*) FROM read_parquet({sql_str(dst)})").fetchone()[0]
    res["per_table"] = per
    res["seconds"] = sum(v["seconds"] for v in per.values())
    print("RESULT " + json.dumps(res), flush=True)


# ----------------------------------------------------------------------------------------------
# helpers


def parse_byte_size(s):
    """Same reading as receval's --memory-limit: K/M/G/T (optionally with B or iB) are powers of 1024."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", s)
    if not m:
        return None
    mult = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20,
            "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TB": 1 << 40,
            "TIB": 1 << 40}.get(m.group(2).upper())
    return None if mult is None else int(float(m.group(1)) * mult)


def run_measured(cmd, cpus, cwd=None):
    """Runs cmd as a fresh process pinned to cpus.

    Returns (rc, stdout, stderr, wall_s, peak_rss_bytes, cpu_s), cpu_s being user + system time."""
    rc, out, err, wall, ru, ttxt = run_pinned(cmd, cpus, _scratch_dir, cwd=cwd, gnu_time=True)
    gt = parse_gnu_time(ttxt) if ttxt is not None else {}
    rss = int(gt["peak_rss_kb"]) * 1024 if "peak_rss_kb" in gt else None
    cpu = gt["user_s"] + gt["sys_s"] if "user_s" in gt and "sys_s" in gt else None
    if ttxt is not None:
        m = re.search(r"Command exited with non-zero status (\d+)", ttxt)
        if m:
            rc = int(m.group(1))
        m = re.search(r"Command terminated by signal (\d+)", ttxt)
        if m:
            rc = -int(m.group(1))
    if rss is None:
        rss = ru.ru_maxrss * 1024  # Linux: kilobytes
    if cpu is None:
        cpu = ru.ru_utime + ru.ru_stime
    global _last_time_stats
    _last_time_stats = {}
    if ttxt is not None:
        for key, pat in (("percent_cpu", r"Percent of CPU this job got: (\d+)%"),
                         ("voluntary_ctx_switches", r"Voluntary context switches: (\d+)"),
                         ("involuntary_ctx_switches", r"Involuntary context switches: (\d+)"),
                         ("fs_outputs_512b", r"File system outputs: (\d+)"),
                         ("major_page_faults", r"Major \(requiring I/O\) page faults: (\d+)")):
            m = re.search(pat, ttxt)
            if m:
                _last_time_stats[key] = int(m.group(1))
    return rc, out, err, wall, rss, cpu


_scratch_dir = "/tmp"
_last_time_stats = {}


# ----------------------------------------------------------------------------------------------
# receval binary and data


def receval_has_gen(binary):
    p = subprocess.run([binary, "gen", "--help"], capture_output=True, text=True)
    return p.returncode == 0 and "USAGE: receval gen" in (p.stdout + p.stderr)


def prepare_data(data_dir, n, seed, receval):
    cached = cached_jsonl(data_dir, n, seed)
    if cached:
        cached["cached"] = True
        return cached
    os.makedirs(data_dir, exist_ok=True)
    if not receval_has_gen(receval):
        sys.exit(f"cannot generate data: {receval} has no `gen` subcommand")
    m = generate_jsonl(data_dir, n, seed, receval,
                       lambda cmd: f"generating {n:,} exposures (seed {seed}) with receval gen into {data_dir}")
    m["cached"] = False
    return m


# ----------------------------------------------------------------------------------------------
# one run of each tool

SUMMARY_RE = re.compile(r"^\s+(exposures|outcomes|assignments)\s+read (\d+), written (\d+), rejected (\d+)", re.M)


def run_receval(a, receval, data_dir, out_dir, cpus):
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    dataset = os.path.join(out_dir, "dataset.rcv")
    cmd = ingest_cmd(receval, data_dir, dataset, a.threads)
    if a.memory_limit:
        cmd += ["--memory-limit", a.memory_limit]
    la = loadavg()
    rc, out, err, wall, rss, cpu = run_measured(cmd, cpus)
    res = {"rc": rc, "seconds": wall, "process_wall_s": wall, "cpu_s": cpu, "process_cpu_s": cpu,
           "peak_rss_bytes": rss, "loadavg_before": la, "time_stats": _last_time_stats, "cmd": cmd}
    if rc != 0:
        res["error"] = (err or out)[-3000:]
        return res
    res["out_bytes"] = os.path.getsize(dataset)
    rows = {}
    for name, read, written, rejected in SUMMARY_RE.findall(err):
        rows[name] = {"read": int(read), "written": int(written), "rejected": int(rejected)}
    res["rows_summary"] = rows
    m = re.search(r"spilled ([0-9.]+ [kMG]B) to temporary files", err)
    res["spilled"] = m.group(1) if m else None
    res["stderr_tail"] = err[-2000:]
    rej = dataset + ".rejects.jsonl"
    if os.path.exists(rej):
        res["rejects_file_lines"] = count_lines(rej)
        with open(rej, errors="replace") as f:
            res["first_reject"] = f.readline().strip()[:500]
    # Rows as stored in the dataset (untimed).
    p = subprocess.run([receval, "inspect", "--json", dataset], capture_output=True, text=True)
    if p.returncode == 0:
        try:
            d = json.loads(p.stdout)
            res["rows"] = {t["name"]: t["rows"] for t in d.get("tables", [])}
            res["partitions"] = d.get("partitions")
        except ValueError:
            res["inspect_error"] = "unparsable inspect --json output"
    else:
        res["inspect_error"] = p.stderr.strip()[-500:]
    if "rows" not in res and rows:
        res["rows"] = {k: v["written"] for k, v in rows.items()}
    return res


def run_duckdb(a, data_dir, out_dir, cpus):
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    cmd = [sys.executable, os.path.abspath(__file__), "_duckdb_worker", "--data", data_dir, "--out", out_dir,
           "--threads", str(a.threads)]
    if a.memory_limit:
        cmd += ["--memory-limit-bytes", str(parse_byte_size(a.memory_limit))]
    la = loadavg()
    rc, out, err, wall, rss, cpu = run_measured(cmd, cpus)
    res = {"rc": rc, "process_wall_s": wall, "process_cpu_s": cpu, "peak_rss_bytes": rss, "loadavg_before": la,
           "time_stats": _last_time_stats, "cmd": cmd}
    r = result_line(out)
    if rc != 0 or r is None:
        res["rc"] = rc if rc != 0 else 1
        res["error"] = (err or out)[-3000:]
        return res
    res["seconds"] = r["seconds"]
    res["cpu_s"] = r["cpu_s"]
    res["per_table"] = r["per_table"]
    res["rows"] = {t: v["rows"] for t, v in r["per_table"].items()}
    res["out_bytes"] = sum(v["out_bytes"] for v in r["per_table"].values())
    res["version"] = r["version"]
    res["threads"] = r["threads"]
    res["memory_limit"] = r["memory_limit"]
    return res


# ----------------------------------------------------------------------------------------------
# summary


def summarize(runs, in_bytes, exposure_lines):
    ok = [r for r in runs if r.get("rc") == 0 and r.get("seconds") is not None]
    if not ok:
        return None
    secs = statistics.median(r["seconds"] for r in ok)
    return {
        "runs_ok": len(ok), "runs_failed": len(runs) - len(ok),
        "median_s": secs, "min_s": min(r["seconds"] for r in ok), "max_s": max(r["seconds"] for r in ok),
        "median_process_wall_s": statistics.median(r["process_wall_s"] for r in ok),
        "median_cpu_s": statistics.median(r["cpu_s"] for r in ok),
        "mb_per_s": in_bytes / 1e6 / secs,
        "exposure_rows_per_s": exposure_lines / secs,
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in ok if r["peak_rss_bytes"] is not None),
        "out_bytes": ok[-1]["out_bytes"],
        "out_bytes_all_runs": sorted({r["out_bytes"] for r in ok}),
        "rows": ok[-1].get("rows"),
    }


def print_table(sums, in_bytes):
    hdr = f"{'tool':8s} {'runs':>4s} {'median s':>9s} {'min-max s':>13s} {'CPU s':>6s} {'MB/s':>6s} " \
          f"{'exp rows/s':>11s} {'peak RSS':>10s} {'output bytes':>14s} {'ratio':>6s}"
    print(hdr)
    print("-" * len(hdr))
    for tool in ("receval", "duckdb"):
        s = sums.get(tool)
        if not s:
            print(f"{tool:8s} all runs failed")
            continue
        print(f"{tool:8s} {s['runs_ok']:>4d} {s['median_s']:9.3f} {s['min_s']:6.2f}-{s['max_s']:<6.2f} "
              f"{s['median_cpu_s']:6.2f} {s['mb_per_s']:6.0f} {s['exposure_rows_per_s'] / 1e6:9.3f} M {s['peak_rss_bytes'] / 2**20:7.0f} MiB "
              f"{s['out_bytes']:14,d} {s['out_bytes'] / in_bytes * 100:5.1f}%")
    print("(CPU s = median user+system seconds; ratio = output bytes / JSONL bytes; MB = 1e6 bytes)")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_duckdb_worker":
        duckdb_worker(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exposures", type=int, required=True, help="exposure lines to generate (e.g. 1000000, 10000000)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per tool (default 3)")
    ap.add_argument("--keep", help="folder for the generated data and outputs (default /tmp/receval-bench-N)")
    ap.add_argument("--receval", help="receval binary (default: swift build -c release --product receval)")
    ap.add_argument("--memory-limit", help="passed to receval ingest --memory-limit and to DuckDB's memory_limit, e.g. 1G")
    ap.add_argument("--threads", type=int, default=2, help="threads for both tools and CPUs both are pinned to (default 2)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", help="result file (default DIR/bench_ingest.json)")
    a = ap.parse_args()
    if a.runs < 1 or a.exposures < 1 or a.threads < 1:
        ap.error("--runs, --exposures and --threads must be at least 1")
    if a.memory_limit and parse_byte_size(a.memory_limit) is None:
        ap.error(f"--memory-limit: cannot read '{a.memory_limit}'; try 1G or 512M")
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("DuckDB's Python package is missing: pip install duckdb")

    keep = os.path.abspath(a.keep or f"/tmp/receval-bench-{a.exposures}")
    os.makedirs(keep, exist_ok=True)
    global _scratch_dir
    _scratch_dir = os.path.join(keep, "scratch")
    os.makedirs(_scratch_dir, exist_ok=True)
    result_path = os.path.abspath(a.json or os.path.join(keep, "bench_ingest.json"))

    load_start = loadavg()
    log(f"load average at start: {fmt_load(load_start)}")

    src_bin, built = resolve_receval(a.receval)
    # A private copy, so a rebuild of the source binary during the run cannot change what is measured.
    receval = os.path.join(keep, "receval")
    receval_sha = private_copy(src_bin, receval)

    data = prepare_data(keep, a.exposures, a.seed, receval)
    in_bytes = sum(data["bytes"].values())
    exposure_lines = data["lines"]["exposures"]
    log(f"data: {in_bytes / 1e6:,.1f} MB of JSONL, {exposure_lines:,} exposure lines, generator: "
        f"{data['generator']}{' (cached)' if data.get('cached') else ''}")

    cpus, avail = pinned_cpus(a.threads)
    if len(avail) < a.threads:
        log(f"note: only {len(avail)} CPUs available for {a.threads} threads")

    warm_page_cache([os.path.join(keep, f"{t}.jsonl") for t in TABLE_NAMES])
    runs = {"receval": [], "duckdb": []}
    for i in range(a.runs):
        order = ("receval", "duckdb") if i % 2 == 0 else ("duckdb", "receval")
        for tool in order:
            if tool == "receval":
                r = run_receval(a, receval, keep, os.path.join(keep, "out-receval"), cpus)
            else:
                r = run_duckdb(a, keep, os.path.join(keep, "out-duckdb"), cpus)
            r["run"] = i
            runs[tool].append(r)
            if r["rc"] != 0:
                log(f"run {i + 1}/{a.runs} {tool:7s} FAILED rc={r['rc']}: {r.get('error', '')[-1500:]}")
            else:
                log(f"run {i + 1}/{a.runs} {tool:7s} {r['seconds']:8.3f} s  cpu {r['cpu_s']:6.2f} s  rss {r['peak_rss_bytes'] / 2**20:6.0f} MiB  "
                    f"out {r['out_bytes']:,} B  load {fmt_load(r['loadavg_before'])}")
    load_end = loadavg()

    sums = {t: summarize(rs, in_bytes, exposure_lines) for t, rs in runs.items()}
    ratios = {}
    notes = []
    if sums["receval"] and sums["duckdb"]:
        rv, dk = sums["receval"], sums["duckdb"]
        ratios = {
            "throughput_receval_over_duckdb": dk["median_s"] / rv["median_s"],
            "output_bytes_receval_over_duckdb": rv["out_bytes"] / dk["out_bytes"],
            "cpu_efficiency_receval_over_duckdb": dk["median_cpu_s"] / rv["median_cpu_s"],
            "peak_rss_receval_over_duckdb": rv["peak_rss_bytes"] / dk["peak_rss_bytes"],
        }
        for t in TABLE_NAMES:
            r_rows = (rv["rows"] or {}).get(t)
            d_rows = (dk["rows"] or {}).get(t)
            if r_rows != d_rows:
                notes.append(f"row count differs for {t}: receval {r_rows}, duckdb {d_rows}, "
                             f"JSONL lines {data['lines'][t]}")
    for t in ("receval", "duckdb"):
        s = sums[t]
        if s and len(s["out_bytes_all_runs"]) > 1:
            notes.append(f"{t} output size varied between runs: {s['out_bytes_all_runs']}")
        for r in runs[t]:
            if r.get("rejects_file_lines"):
                notes.append(f"receval run {r['run'] + 1} rejected {r['rejects_file_lines']} line(s); first: "
                             f"{r.get('first_reject', '')[:200]}")
            if r.get("spilled"):
                notes.append(f"receval run {r['run'] + 1} spilled {r['spilled']} to temporary files")
            if r.get("inspect_error"):
                notes.append(f"receval inspect failed after run {r['run'] + 1}: {r['inspect_error']}")
    if not data.get("generator", "").startswith("receval gen"):
        notes.append(f"data generated by {data.get('generator')}")

    git_rev, git_dirty = git_state()
    result = {
        "benchmark": "ingest_jsonl",
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(cpus),
        "loadavg_start": load_start, "loadavg_end": load_end,
        "params": {"exposures": a.exposures, "seed": a.seed, "runs": a.runs, "threads": a.threads,
                   "memory_limit": a.memory_limit},
        "data": {"dir": keep, "generator": data["generator"], "cached": data.get("cached"),
                 "bytes": data["bytes"], "total_bytes": in_bytes, "lines": data["lines"]},
        "receval": {"binary": src_bin, "built_here": built, "sha256": receval_sha, "git_rev": git_rev,
                    "git_worktree_dirty": git_dirty},
        "duckdb": {"version": next((r["version"] for r in runs["duckdb"] if r.get("version")), None)},
        "summary": sums, "ratios": ratios, "notes": notes, "runs": runs,
    }
    write_json_atomic(result_path, result)

    print()
    print(f"JSONL -> columnar ingest, {a.exposures:,} exposures ({in_bytes / 1e6:,.1f} MB JSONL: "
          + ", ".join(f"{t} {data['bytes'][t] / 1e6:,.1f}" for t in TABLE_NAMES) + ")")
    print(f"receval {git_rev or '?'}{' (dirty tree)' if git_dirty else ''} sha256 {receval_sha[:12]} | DuckDB "
          f"{result['duckdb']['version']} | {a.threads} threads, pinned to CPUs {sorted(cpus)} | "
          f"memory limit {a.memory_limit or 'tool defaults'} | {a.runs} run(s) each")
    print(f"data generator: {data['generator']}{' (cached)' if data.get('cached') else ''}")
    print(f"load average (1/5/15 min): start {fmt_load(load_start)}, end {fmt_load(load_end)}")
    print()
    print_table(sums, in_bytes)
    if ratios:
        print()
        print(f"receval/DuckDB throughput: {ratios['throughput_receval_over_duckdb']:.2f}x   "
              f"CPU seconds (DuckDB/receval): {ratios['cpu_efficiency_receval_over_duckdb']:.2f}x   "
              f"output size: {ratios['output_bytes_receval_over_duckdb']:.3f}x   "
              f"peak RSS: {ratios['peak_rss_receval_over_duckdb']:.2f}x")
    for t in ("receval", "duckdb"):
        if sums[t] and sums[t]["rows"]:
            print(f"rows {t:8s} " + ", ".join(f"{k} {v:,}" for k, v in sums[t]["rows"].items()))
    if notes:
        print()
        for n in notes:
            print("note: " + n)
    print()
    print(f"results: {result_path}")
    if not (sums["receval"] and sums["duckdb"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
