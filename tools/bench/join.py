#!/usr/bin/env python3
"""Join + per-variant aggregate benchmark: receval against DuckDB and Polars, same run, same data.

    python3 tools/bench/join.py --exposures N [--runs 3] [--threads 2] [--keep DIR]
                                [--receval PATH] [--experiment exp_1] [--seed 42] [--json FILE]

The query: exposures joined to the assignments of one experiment on request_id, left-joined to the
per-request click counts, grouped by (variant, tenant_id, surface), with requests (exposure rows),
items (items shown), clicked_requests (joined exposures with at least one click) and clicks.

  receval  one `receval bench join DATASET --experiment E --group-by tenant_id,surface --repeat R
           --threads T --json` process. Its timings are measured inside the process after the dataset
           file is opened; every repetition decodes the columns it needs from the memory-mapped file.
           The figure compared is `aggregate_seconds` (join + aggregate); `join_seconds` (the join
           alone) is reported as well.
  duckdb   one Python process, in-memory database, SET threads = T, running the published anchor's
           JOIN_SQL over the three Parquet files (read_parquet in every query) R times.
  polars   one Python process (POLARS_MAX_THREADS = T) collecting the equivalent lazy query over
           the same Parquet files R times. Skipped, with a note, when polars is not installed.

Each process is pinned to the same T CPUs. All timings are taken inside the processes, so
interpreter start-up, `import duckdb` / `import polars` and receval's opening of the file are left
out. The input files are read once before timing so every tool starts from a warm page cache.

The answers are compared: every (variant, tenant_id, surface) group must have the same requests,
items, clicked_requests and clicks in every tool (and in every repetition of DuckDB and Polars).
The script prints PASS or FAIL and exits with status 1 on a mismatch or when a tool fails.

Data (kept in --keep DIR, default /tmp/receval-bench-N, the layout of tools/bench/ingest.py):
  DIR/{exposures,outcomes,assignments}.jsonl   `receval gen --exposures N --seed S --out DIR`
  DIR/out-receval/dataset.rcv                  `receval ingest ... -o DIR/out-receval/dataset.rcv`
  DIR/out-duckdb/{exposures,outcomes,assignments}.parquet
                                               DuckDB `COPY (SELECT * FROM read_json(...)) TO ...
                                               (FORMAT parquet, COMPRESSION zstd)` with explicit types
Files already present are reused; the JSONL is generated only when a derived file is missing.
Before timing the script checks that the dataset and the exposures Parquet file both hold N rows.

Timed benchmarks are never part of the unit tests; run this script by hand.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The JSONL marker and DuckDB column types are tools/bench/ingest.py's, so both scripts share the data.
from common import (DUCKDB_TABLES, TABLE_NAMES, cached_jsonl, duckdb_reader, fmt_load,  # noqa: E402
                    generate_jsonl, git_state, ingest_cmd, loadavg, log, machine_info, pinned_cpus,
                    private_copy, resolve_receval, result_line, run_pinned, sql_str, warm_page_cache,
                    write_json_atomic)

GROUP_KEYS = ("tenant_id", "surface")
MEASURES = ("requests", "items", "clicked_requests", "clicks")

# The published DuckDB anchor query (join + aggregate), with the experiment id as a parameter.
JOIN_SQL = """
WITH e AS (
  SELECT request_id, context.tenant_id AS tenant_id, context.surface AS surface, len(items) AS n_items
  FROM read_parquet({exposures})),
a AS (SELECT request_id, variant FROM read_parquet({assignments}) WHERE experiment_id = {experiment}),
c AS (SELECT request_id, count(*) AS clicks FROM read_parquet({outcomes})
      WHERE event_type = 'click' GROUP BY request_id)
SELECT a.variant, e.tenant_id, e.surface,
       count(*) AS requests, sum(e.n_items) AS items,
       count(c.clicks) AS clicked_requests, coalesce(sum(c.clicks), 0) AS clicks
FROM e JOIN a ON e.request_id = a.request_id
       LEFT JOIN c ON e.request_id = c.request_id
GROUP BY ALL ORDER BY ALL
"""


def _pq(pq_dir, table):
    return os.path.join(pq_dir, f"{table}.parquet")


# ----------------------------------------------------------------------------------------------
# workers (child processes: `join.py _worker duckdb|polars ...`)


def _group_rows_to_list(rows):
    """[(variant, tenant_id, surface, requests, items, clicked_requests, clicks)] -> list of dicts."""
    return [{"variant": r[0], "keys": [r[1], r[2]], "requests": int(r[3]), "items": int(r[4] or 0),
             "clicked_requests": int(r[5]), "clicks": int(r[6] or 0)} for r in rows]


def duckdb_join_worker(a):
    import duckdb

    con = duckdb.connect()  # in-memory database
    con.execute(f"SET threads = {a.threads}")
    sql = JOIN_SQL.format(exposures=sql_str(_pq(a.pq, "exposures")),
                          assignments=sql_str(_pq(a.pq, "assignments")),
                          outcomes=sql_str(_pq(a.pq, "outcomes")), experiment=sql_str(a.experiment))
    res = {"version": duckdb.__version__,
           "threads": con.execute("SELECT current_setting('threads')").fetchone()[0]}
    secs, answers = [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        rows = con.execute(sql).fetchall()
        secs.append(time.perf_counter() - t0)
        answers.append(_group_rows_to_list(rows))
    res["seconds"] = secs
    res["groups"] = answers[0]
    res["repetitions_agree"] = all(x == answers[0] for x in answers[1:])
    res["exposure_rows"] = con.execute(
        f"SELECT count(*) FROM read_parquet({sql_str(_pq(a.pq, 'exposures'))})").fetchone()[0]
    return res


def polars_join_worker(a):
    import polars as pl

    def query():
        e = pl.scan_parquet(_pq(a.pq, "exposures")).select(
            "request_id",
            pl.col("context").struct.field("tenant_id"),
            pl.col("context").struct.field("surface"),
            pl.col("items").list.len().alias("n_items"))
        asg = (pl.scan_parquet(_pq(a.pq, "assignments"))
               .filter(pl.col("experiment_id") == a.experiment).select("request_id", "variant"))
        c = (pl.scan_parquet(_pq(a.pq, "outcomes")).filter(pl.col("event_type") == "click")
             .group_by("request_id").agg(pl.len().alias("clicks")))
        return (e.join(asg, on="request_id", how="inner")
                .join(c, on="request_id", how="left")
                .group_by("variant", "tenant_id", "surface")
                .agg(requests=pl.len(), items=pl.col("n_items").sum(),
                     clicked_requests=pl.col("clicks").count(), clicks=pl.col("clicks").sum())
                .sort("variant", "tenant_id", "surface"))

    res = {"version": pl.__version__, "threads": pl.thread_pool_size()}
    secs, answers = [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        df = query().collect()  # the lazy plan is built inside the timing, as read_parquet is in DuckDB's
        secs.append(time.perf_counter() - t0)
        answers.append(_group_rows_to_list(df.select("variant", "tenant_id", "surface", *MEASURES).rows()))
    res["seconds"] = secs
    res["groups"] = answers[0]
    res["repetitions_agree"] = all(x == answers[0] for x in answers[1:])
    res["exposure_rows"] = pl.scan_parquet(_pq(a.pq, "exposures")).select(pl.len()).collect().item()
    return res


def worker_main(argv):
    ap = argparse.ArgumentParser(prog="join.py _worker")
    ap.add_argument("tool", choices=("duckdb", "polars"))
    ap.add_argument("--pq", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--repeat", type=int, required=True)
    ap.add_argument("--experiment", required=True)
    a = ap.parse_args(argv)
    res = duckdb_join_worker(a) if a.tool == "duckdb" else polars_join_worker(a)
    print("RESULT " + json.dumps(res), flush=True)


# ----------------------------------------------------------------------------------------------
# helpers


def run_measured(cmd, cpus, scratch, env=None):
    """Runs cmd as a fresh process pinned to cpus. Returns (rc, stdout, stderr, wall_s, cpu_s, peak_rss_bytes)."""
    rc, out, err, wall, ru, _ = run_pinned(cmd, cpus, scratch, prefix="join-", env=env)
    return rc, out, err, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024


# ----------------------------------------------------------------------------------------------
# receval binary and data


def ensure_jsonl(data_dir, n, seed, receval):
    cached = cached_jsonl(data_dir, n, seed)
    if cached:
        return {"generator": cached.get("generator"), "cached": True}
    m = generate_jsonl(data_dir, n, seed, receval,
                       lambda cmd: f"generating {n:,} exposures (seed {seed}): {' '.join(cmd)}")
    return {"generator": "receval gen", "cached": False, "gen_seconds": m["gen_seconds"]}


def make_dataset(data_dir, dataset, receval, threads):
    os.makedirs(os.path.dirname(dataset), exist_ok=True)
    cmd = ingest_cmd(receval, data_dir, dataset, threads)
    log(f"making the receval dataset: {' '.join(cmd)}")
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=sys.stderr)
    if p.returncode != 0:
        if os.path.exists(dataset):
            os.remove(dataset)
        sys.exit(f"receval ingest failed (rc {p.returncode})")
    return time.perf_counter() - t0


def make_parquet(data_dir, pq_dir, threads):
    import duckdb

    os.makedirs(pq_dir, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    t0 = time.perf_counter()
    for name, cols in DUCKDB_TABLES.items():
        dst = _pq(pq_dir, name)
        if os.path.exists(dst):
            continue
        src = os.path.join(data_dir, f"{name}.jsonl")
        tmp = dst + ".tmp"
        log(f"making {dst} with DuckDB COPY ... (FORMAT parquet, COMPRESSION zstd)")
        con.execute(f"COPY (SELECT * FROM {duckdb_reader(src, cols)}) TO {sql_str(tmp)} "
                    f"(FORMAT parquet, COMPRESSION zstd)")
        os.replace(tmp, dst)
    con.close()
    return time.perf_counter() - t0


def prepare_data(keep, n, seed, receval, threads):
    dataset = os.path.join(keep, "out-receval", "dataset.rcv")
    pq_dir = os.path.join(keep, "out-duckdb")
    need_dataset = not os.path.exists(dataset)
    need_pq = [t for t in TABLE_NAMES if not os.path.exists(_pq(pq_dir, t))]
    info = {"dataset": dataset, "parquet_dir": pq_dir, "dataset_made_here": need_dataset,
            "parquet_made_here": need_pq, "jsonl": None}
    if need_dataset or need_pq:
        info["jsonl"] = ensure_jsonl(keep, n, seed, receval)
    if need_dataset:
        info["ingest_seconds"] = make_dataset(keep, dataset, receval, threads)
    if need_pq:
        info["parquet_seconds"] = make_parquet(keep, pq_dir, threads)
    marker = cached_jsonl(keep, n, seed)
    info["generator"] = (marker or {}).get("generator")
    return info


def check_data(info, receval, n):
    """Untimed sanity checks: both inputs hold N exposure rows. Returns their sizes and row counts."""
    import duckdb

    p = subprocess.run([receval, "inspect", "--json", info["dataset"]], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"receval inspect cannot read {info['dataset']}: {p.stderr.strip()[-800:]}\n"
                 f"(made by another receval build? remove it and run again to re-ingest)")
    d = json.loads(p.stdout)
    rcv_rows = {t["name"]: t["rows"] for t in d.get("tables", [])}
    con = duckdb.connect()
    pq_rows = {t: con.execute(f"SELECT count(*) FROM read_parquet({sql_str(_pq(info['parquet_dir'], t))})")
               .fetchone()[0] for t in TABLE_NAMES}
    con.close()
    problems = []
    if rcv_rows.get("exposures") != n:
        problems.append(f"{info['dataset']} holds {rcv_rows.get('exposures')} exposure rows, not {n:,}")
    if pq_rows["exposures"] != n:
        problems.append(f"{_pq(info['parquet_dir'], 'exposures')} holds {pq_rows['exposures']} rows, not {n:,}")
    if problems:
        sys.exit("data do not match --exposures: " + "; ".join(problems) + " (use another --keep DIR)")
    return {"receval_rows": rcv_rows, "parquet_rows": pq_rows,
            "receval_dataset_bytes": os.path.getsize(info["dataset"]),
            "receval_created_by": d.get("created_by"), "receval_format_version": d.get("format_version"),
            "receval_partitions": d.get("partitions"),
            "parquet_bytes": {t: os.path.getsize(_pq(info["parquet_dir"], t)) for t in TABLE_NAMES}}


# ----------------------------------------------------------------------------------------------
# one process per tool


def run_receval(a, receval, dataset, cpus, scratch):
    cmd = [receval, "bench", "join", dataset, "--experiment", a.experiment, "--group-by", ",".join(GROUP_KEYS),
           "--repeat", str(a.runs), "--threads", str(a.threads), "--json"]
    la = loadavg()
    rc, out, err, wall, cpu, rss = run_measured(cmd, cpus, scratch)
    res = {"rc": rc, "cmd": cmd, "loadavg_before": la, "process_wall_s": wall, "process_cpu_s": cpu,
           "peak_rss_bytes": rss}
    if rc != 0:
        res["error"] = (err or out)[-3000:]
        return res
    try:
        d = json.loads(out)
    except ValueError:
        res["rc"] = 1
        res["error"] = "unparsable --json output: " + out[-1000:]
        return res
    res["seconds"] = d["aggregate_seconds"]
    res["join_seconds"] = d.get("join_seconds")
    res["groups"] = d["groups"]
    res["exposure_rows"] = d.get("exposure_rows")
    res["join"] = d.get("join")
    res["threads"] = d.get("threads")
    res["partitions"] = d.get("partitions")
    res["bytes_touched"] = {"join": d.get("join_bytes_touched"), "aggregate": d.get("aggregate_bytes_touched")}
    return res


def run_worker(a, tool, pq_dir, cpus, scratch):
    cmd = [sys.executable, os.path.abspath(__file__), "_worker", tool, "--pq", pq_dir, "--threads", str(a.threads),
           "--repeat", str(a.runs), "--experiment", a.experiment]
    env = dict(os.environ)
    if tool == "polars":
        env["POLARS_MAX_THREADS"] = str(a.threads)
    la = loadavg()
    rc, out, err, wall, cpu, rss = run_measured(cmd, cpus, scratch, env=env)
    res = {"rc": rc, "cmd": cmd, "loadavg_before": la, "process_wall_s": wall, "process_cpu_s": cpu,
           "peak_rss_bytes": rss}
    m = result_line(out)
    if rc != 0 or m is None:
        res["rc"] = rc if rc != 0 else 1
        res["error"] = (err or out)[-3000:]
        return res
    res.update(m)
    return res


# ----------------------------------------------------------------------------------------------
# answers


def answer_map(groups):
    out = {}
    for g in groups:
        key = (g["variant"], *[None if k is None else str(k) for k in g["keys"]])
        out[key] = tuple(int(g[m]) for m in MEASURES)
    return out


def compare_answers(results):
    """results: {tool: result}. Returns (ok, list of difference lines), receval being the reference."""
    maps = {t: answer_map(r["groups"]) for t, r in results.items()}
    ref_tool = "receval"
    ref = maps[ref_tool]
    diffs = []
    for tool, mp in maps.items():
        if tool == ref_tool:
            continue
        for key in sorted(set(ref) | set(mp), key=lambda k: tuple("" if x is None else x for x in k)):
            rv, ov = ref.get(key), mp.get(key)
            if rv != ov:
                diffs.append(f"{tool} vs receval, group {key}: "
                             f"receval {dict(zip(MEASURES, rv)) if rv else 'missing'}, "
                             f"{tool} {dict(zip(MEASURES, ov)) if ov else 'missing'}")
    for tool, r in results.items():
        if r.get("repetitions_agree") is False:
            diffs.append(f"{tool}: the repetitions returned different answers")
    return not diffs, diffs


def per_variant(groups):
    tot = {}
    for g in groups:
        d = tot.setdefault(g["variant"], [0, 0, 0, 0, 0])
        for i, m in enumerate(MEASURES):
            d[i] += int(g[m])
        d[4] += 1
    return {v: {"requests": d[0], "items": d[1], "clicked_requests": d[2], "clicks": d[3], "groups": d[4],
                "request_ctr": d[2] / d[0] if d[0] else None, "item_ctr": d[3] / d[1] if d[1] else None}
            for v, d in sorted(tot.items())}


def summarize(r, exposure_rows):
    secs = r["seconds"]
    med = statistics.median(secs)
    s = {"repetitions": len(secs), "median_s": med, "min_s": min(secs), "max_s": max(secs),
         "exposure_rows_per_s": exposure_rows / med if med > 0 else None,
         "process_wall_s": r["process_wall_s"], "process_cpu_s": r["process_cpu_s"],
         "peak_rss_bytes": r["peak_rss_bytes"]}
    if r.get("join_seconds"):
        s["join_median_s"] = statistics.median(r["join_seconds"])
        s["join_min_s"] = min(r["join_seconds"])
        s["join_max_s"] = max(r["join_seconds"])
    return s


# ----------------------------------------------------------------------------------------------


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exposures", type=int, required=True, help="exposure lines (1000000, 10000000, ...)")
    ap.add_argument("--runs", type=int, default=3, help="repetitions of the query inside each tool's process (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="threads for every tool and CPUs they are pinned to (default 2)")
    ap.add_argument("--keep", help="folder for the data and results (default /tmp/receval-bench-N)")
    ap.add_argument("--receval", help="receval binary (default: swift build -c release --product receval)")
    ap.add_argument("--experiment", default="exp_1", help="experiment id whose assignments are joined (default exp_1)")
    ap.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    ap.add_argument("--json", help="result file (default DIR/bench_join.json)")
    a = ap.parse_args()
    if a.runs < 1 or a.exposures < 1 or a.threads < 1:
        ap.error("--runs, --exposures and --threads must be at least 1")
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("DuckDB's Python package is missing: pip install duckdb")
    try:
        import importlib.util
        have_polars = importlib.util.find_spec("polars") is not None
    except (ImportError, ValueError):
        have_polars = False

    keep = os.path.abspath(a.keep or f"/tmp/receval-bench-{a.exposures}")
    os.makedirs(keep, exist_ok=True)
    scratch = os.path.join(keep, "scratch")
    os.makedirs(scratch, exist_ok=True)
    result_path = os.path.abspath(a.json or os.path.join(keep, "bench_join.json"))

    load_start = loadavg()
    log(f"load average at start: {fmt_load(load_start)}")

    src_bin, built = resolve_receval(a.receval)
    # A private copy, so a rebuild of the source binary during the run cannot change what is measured.
    receval = os.path.join(keep, "receval-bench-join")
    receval_sha = private_copy(src_bin, receval)

    info = prepare_data(keep, a.exposures, a.seed, receval, a.threads)
    checked = check_data(info, receval, a.exposures)
    pq_dir = info["parquet_dir"]
    log(f"data: {info['dataset']} ({checked['receval_dataset_bytes']:,} B, by {checked['receval_created_by']}), "
        f"{pq_dir}/*.parquet ({sum(checked['parquet_bytes'].values()):,} B)")

    cpus, avail = pinned_cpus(a.threads)
    if len(avail) < a.threads:
        log(f"note: only {len(avail)} CPUs available for {a.threads} threads")

    warm_page_cache([info["dataset"]] + [_pq(pq_dir, t) for t in TABLE_NAMES])

    tools = ["receval", "duckdb"] + (["polars"] if have_polars else [])
    results = {}
    for tool in tools:
        log(f"{tool}: {a.runs} repetition(s) in one process, load {fmt_load(loadavg())}")
        if tool == "receval":
            r = run_receval(a, receval, info["dataset"], cpus, scratch)
        else:
            r = run_worker(a, tool, pq_dir, cpus, scratch)
        results[tool] = r
        if r["rc"] != 0:
            log(f"{tool} FAILED rc={r['rc']}: {r.get('error', '')[-1500:]}")
        else:
            log(f"{tool}: " + " ".join(f"{s:.3f}" for s in r["seconds"]) + " s")
    load_end = loadavg()
    log(f"load average at end: {fmt_load(load_end)}")

    ok_results = {t: r for t, r in results.items() if r["rc"] == 0}
    notes = []
    if not have_polars:
        notes.append("polars is not installed (pip install polars); Polars skipped")
    for t, r in results.items():
        if r["rc"] != 0:
            notes.append(f"{t} failed (rc {r['rc']})")
    exposure_rows = a.exposures
    for t, r in ok_results.items():
        if r.get("exposure_rows") not in (None, exposure_rows):
            notes.append(f"{t} counted {r['exposure_rows']} exposure rows, expected {exposure_rows}")
    sums = {t: summarize(r, exposure_rows) for t, r in ok_results.items()}
    ratios = {}
    if "receval" in sums:
        for t in ("duckdb", "polars"):
            if t in sums:
                ratios[f"{t}_over_receval"] = sums[t]["median_s"] / sums["receval"]["median_s"]

    if "receval" in ok_results and len(ok_results) > 1:
        answers_ok, diffs = compare_answers(ok_results)
    else:
        answers_ok, diffs = False, ["fewer than two tools produced an answer"]
    compared = sorted(ok_results)
    failed = any(r["rc"] != 0 for r in results.values())

    git_rev, git_dirty = git_state()
    ref_groups = ok_results.get("receval", next(iter(ok_results.values()), {})).get("groups", [])
    result = {
        "benchmark": "join_aggregate",
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(cpus),
        "loadavg_start": load_start, "loadavg_end": load_end,
        "params": {"exposures": a.exposures, "seed": a.seed, "runs": a.runs, "threads": a.threads,
                   "experiment": a.experiment, "group_by": list(GROUP_KEYS)},
        "data": {"dir": keep, **info, **checked},
        "receval": {"binary": src_bin, "built_here": built, "sha256": receval_sha, "git_rev": git_rev,
                    "git_worktree_dirty": git_dirty},
        "versions": {t: r.get("version") for t, r in ok_results.items() if t != "receval"},
        "summary": sums, "ratios": ratios,
        "answers": {"match": answers_ok, "tools_compared": compared, "differences": diffs[:200],
                    "groups": len(ref_groups), "per_variant": per_variant(ref_groups)},
        "notes": notes, "results": results,
    }
    write_json_atomic(result_path, result)

    print()
    print(f"join + per-variant aggregate, {a.exposures:,} exposures, experiment {a.experiment}, "
          f"group by variant, {', '.join(GROUP_KEYS)}")
    print(f"receval {git_rev or '?'}{' (dirty tree)' if git_dirty else ''} sha256 {receval_sha[:12]} | "
          + " | ".join(f"{t} {v}" for t, v in result["versions"].items())
          + f" | {a.threads} threads, pinned to CPUs {sorted(cpus)} | {a.runs} repetition(s) per tool, in one process each")
    print(f"data: {keep} (receval dataset {checked['receval_dataset_bytes'] / 1e6:,.1f} MB, "
          f"Parquet {sum(checked['parquet_bytes'].values()) / 1e6:,.1f} MB)")
    print(f"load average (1/5/15 min): start {fmt_load(load_start)}, end {fmt_load(load_end)}")
    print()
    hdr = f"{'tool':8s} {'reps':>4s} {'median s':>9s} {'min-max s':>15s} {'exp rows/s':>12s} {'peak RSS':>10s} {'process s':>9s}"
    print(hdr)
    print("-" * len(hdr))
    for t in tools:
        s = sums.get(t)
        if not s:
            print(f"{t:8s} failed")
            continue
        print(f"{t:8s} {s['repetitions']:>4d} {s['median_s']:9.4f} {s['min_s']:7.4f}-{s['max_s']:<7.4f} "
              f"{s['exposure_rows_per_s'] / 1e6:10.2f} M {s['peak_rss_bytes'] / 2**20:6.0f} MiB {s['process_wall_s']:9.2f}")
    print("(seconds per query, timed inside each process; process s = whole process wall time, start-up included)")
    if "receval" in sums and "join_median_s" in sums["receval"]:
        s = sums["receval"]
        print(f"receval join alone: median {s['join_median_s']:.4f} s ({s['join_min_s']:.4f}-{s['join_max_s']:.4f}), "
              f"{exposure_rows / s['join_median_s'] / 1e6:.2f} M exposure rows/s")
    if ratios:
        print()
        names = {"duckdb_over_receval": "DuckDB/receval", "polars_over_receval": "Polars/receval"}
        print("ratio of median seconds: " + "   ".join(f"{names[k]} {v:.2f}x" for k, v in ratios.items())
              + "   (above 1: receval is faster)")
    print()
    for v, d in result["answers"]["per_variant"].items():
        print(f"variant {v}: {d['requests']:,} requests, request CTR {d['request_ctr']:.5f}, "
              f"item CTR {d['item_ctr']:.6f} ({d['groups']} groups)")
    for n in notes:
        print("note: " + n)
    for d in diffs[:20]:
        print("  " + d)
    if len(diffs) > 20:
        print(f"  ... {len(diffs) - 20} more in the JSON file")
    print()
    if answers_ok:
        print(f"ANSWERS PASS: all {len(ref_groups)} (variant, {', '.join(GROUP_KEYS)}) groups identical "
              f"({', '.join(MEASURES)}) across {', '.join(compared)}")
    else:
        print(f"ANSWERS FAIL: {len(diffs)} difference(s) across {', '.join(compared)}")
    print(f"results: {result_path}")
    if not answers_ok or failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
