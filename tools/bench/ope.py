#!/usr/bin/env python3
"""OPE benchmark: `receval run` in OPE mode against the same estimators in DuckDB and numpy, same run, same data.

    python3 tools/bench/ope.py --data DIR [--receval PATH] [--runs 3] [--threads 2]
                               [--exposures N] [--seed S] [--json FILE] [--no-numpy]

The estimators are recsys-eval's item-unit OPE (the report.v1 `ope` section of
`ope: {reward_event: click, unit: item, reward_aggregation: sum, clipping: 10, enable_snips: true}`):
over every shown item of every exposure line (duplicate lines included) with a logging propensity
(logging_propensity, else propensity) > 0 and a target_propensity,

    w = min(target / logging, 10),   IPS = sum(w r) / n,   SNIPS = sum(w r) / sum(w).

  receval          `receval run --dataset DIR/bench-ope/ds.yaml --config DIR/bench-ope/ope.yaml --threads T`, a fresh
                   process per run, timed whole (wall and peak RSS from GNU time): opening the dataset,
                   both OPE passes (recsys-eval's sums and receval's own estimators in `ope_analysis`,
                   with its fitted reward model) and writing the report. So receval does more work than
                   the peers. `receval (no bootstrap)` is the same with
                   `ope.analysis.bootstrap.enabled: false`, which leaves out the user-level bootstrap;
                   `receval, recsys-eval keys` the same with `ope.analysis.enabled: false`: only the
                   report.v1 `ope` section, the computation the peers do (plus DR, the weight p95 and
                   the diagnostics).
  duckdb           one Python process per run, in-memory database, SET threads = T, timing one query over
                   the Parquet files inside the process (read_parquet in the query).
  numpy            one Python process per run. It loads the columns from Parquet into memory (untimed),
                   then times the compute only, on T threads (slices of 8M rows handed to T worker threads;
                   numpy releases the GIL in these kernels).

Two reward definitions, each computed by DuckDB and numpy:

  any_click   (the brief's simplification) r = 1 if the request has any click outcome on the item.
  last        (recsys-eval's and receval's definition) r = 1 if the request's last outcome on the item,
              any event type, in log order, is a click. A click followed by a conversion gives r = 0.

receval's `ope.estimators` must equal the `last` answers (same n; IPS and SNIPS to 1e-9 relative);
`any_click` is reported beside them. The figure compared is the `any_click` time (the `last` time
is reported too).

The numpy join: request ids ("req_" + 24 hex digits) are parsed at load time to a 64-bit code (the
first 16 hex digits xor a mix of the last 8) and item ids to their index in the item dictionary, so
the timed part starts from integer columns, as receval's does (it has dictionary codes). Inside the
timing each (request, item) pair is hashed to one uint64 key (request code xor item * odd constant),
the clicked pairs are made unique and sorted (np.unique), and every exposure item is looked up with
np.searchsorted on the combined keys. A 64-bit key collision would change r; the answers are checked
against DuckDB's exact string join.

Data, in DIR (the layout of `receval gen --all-fields`):
  DIR/{exposures,outcomes,assignments}.jsonl   `receval gen --exposures N --seed S --all-fields --out DIR`
                                               (only if missing and --exposures is given)
  DIR/d.rcv                                    `receval ingest ... --output DIR/d.rcv`
  DIR/pq/exposure_items.parquet                DuckDB: read_json of exposures with items unnested: request_id,
                                               item_id, rank, logging_propensity (coalesced with propensity),
                                               target_propensity (zstd)
  DIR/pq/outcomes.parquet                      DuckDB: line (row number in the file), request_id, item_id,
                                               event_type (zstd)
Files already present are reused. Preparing them is never timed.

Timed benchmarks are never part of the unit tests; run this script by hand.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import (TABLE_NAMES, fmt_load, git_state, loadavg, log, machine_info, parse_gnu_time,  # noqa: E402
                    pinned_cpus, private_copy, resolve_receval, result_line, run_pinned, sql_str,
                    warm_page_cache, write_dataset_yaml, write_json_atomic)

CLIP = 10.0
REWARDS = ("any_click", "last")

OPE_YAML = """mode: ope
ope: {reward_event: click, unit: item, reward_aggregation: sum, clipping: 10, enable_snips: true, enable_dr: true}
"""
OPE_NOBOOT_YAML = """mode: ope
ope: {reward_event: click, unit: item, reward_aggregation: sum, clipping: 10, enable_snips: true, enable_dr: true,
      analysis: {bootstrap: {enabled: false}}}
"""

OPE_COMPAT_YAML = """mode: ope
ope: {reward_event: click, unit: item, reward_aggregation: sum, clipping: 10, enable_snips: true, enable_dr: true,
      analysis: {enabled: false}}
"""
# The receval runs: tool name -> (config file stem, config text, label).
RECEVAL_RUNS = {
    "receval": ("ope", OPE_YAML, "receval run (full)"),
    "receval_noboot": ("ope-noboot", OPE_NOBOOT_YAML, "receval run (no bootstrap)"),
    "receval_compat": ("ope-compat", OPE_COMPAT_YAML, "receval, recsys-eval keys"),
}

# Parquet preparation (untimed).
EXPOSURE_ITEMS_SQL = """
COPY (SELECT e.request_id, u.it.item_id AS item_id, u.it.rank AS rank,
             coalesce(u.it.logging_propensity, u.it.propensity) AS logging_propensity,
             u.it.target_propensity AS target_propensity
      FROM read_json({src}, format='newline_delimited',
                     columns={{'request_id': 'VARCHAR',
                               'items': 'STRUCT(item_id VARCHAR, rank INTEGER, propensity DOUBLE, logging_propensity DOUBLE, target_propensity DOUBLE)[]'}}) e,
           unnest(e.items) AS u(it))
TO {dst} (FORMAT parquet, COMPRESSION zstd)
"""
OUTCOMES_SQL = """
COPY (SELECT row_number() OVER () AS line, request_id, item_id, event_type
      FROM read_json({src}, format='newline_delimited',
                     columns={{'request_id': 'VARCHAR', 'item_id': 'VARCHAR', 'event_type': 'VARCHAR'}}))
TO {dst} (FORMAT parquet, COMPRESSION zstd)
"""

# The timed DuckDB queries. `c` is the set of rewarded (request_id, item_id) pairs.
CLICKED = {
    "any_click": "SELECT DISTINCT request_id, item_id FROM read_parquet({outcomes}) WHERE event_type = 'click'",
    "last": "SELECT request_id, item_id FROM read_parquet({outcomes}) GROUP BY ALL "
            "HAVING arg_max(event_type, line) = 'click'",
}
OPE_SQL = """
WITH c AS ({clicked}),
x AS (SELECT least(e.target_propensity / e.logging_propensity, {clip}) AS w,
             CASE WHEN c.request_id IS NULL THEN 0.0 ELSE 1.0 END AS r
      FROM read_parquet({items}) e
      LEFT JOIN c ON e.request_id = c.request_id AND e.item_id = c.item_id
      WHERE e.logging_propensity > 0 AND e.target_propensity IS NOT NULL)
SELECT count(*) AS n, sum(w * r) AS swr, sum(w) AS sw, sum(w * w) AS sww, sum(r) AS sr FROM x
"""


def _pq(data, name):
    return os.path.join(data, "pq", f"{name}.parquet")


def estimates(n, swr, sw, sww, sr):
    return {"n": int(n), "sum_wr": float(swr), "sum_w": float(sw), "sum_ww": float(sww), "rewarded": int(sr),
            "ips": swr / n if n else None, "snips": swr / sw if sw else None,
            "ess": sw * sw / sww if sww else None}


# ----------------------------------------------------------------------------------------------
# workers (child processes: `ope.py _worker duckdb|numpy ...`)


def duckdb_worker(a):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    res = {"version": duckdb.__version__,
           "threads": con.execute("SELECT current_setting('threads')").fetchone()[0], "answers": {}, "seconds": {}}
    for reward in REWARDS:
        sql = OPE_SQL.format(clicked=CLICKED[reward].format(outcomes=sql_str(_pq(a.data, "outcomes"))),
                             items=sql_str(_pq(a.data, "exposure_items")), clip=CLIP)
        t0 = time.perf_counter()
        row = con.execute(sql).fetchone()
        res["seconds"][reward] = time.perf_counter() - t0
        res["answers"][reward] = estimates(*row)
    res["item_rows"] = con.execute(
        f"SELECT count(*) FROM read_parquet({sql_str(_pq(a.data, 'exposure_items'))})").fetchone()[0]
    return res


def _hex_codes(arr, np):
    """request ids "req_" + 24 hex digits (a pyarrow StringArray) -> uint64 codes."""
    import pyarrow as pa

    arr = arr.cast(pa.string()) if arr.type != pa.string() else arr
    n = len(arr)
    if n == 0:
        return np.zeros(0, np.uint64)
    if arr.null_count:
        raise SystemExit("null request_id")
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=n + 1, offset=arr.offset * 4)
    width = 28
    if not np.all(np.diff(offsets) == width):
        raise SystemExit("request ids are not all 'req_' + 24 hex digits; the numpy worker needs that form")
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8, count=n * width, offset=int(offsets[0]))
    ch = data.reshape(n, width)[:, 4:].astype(np.uint8)
    # '0'-'9' -> 0-9, 'a'-'f' -> 10-15, 'A'-'F' -> 10-15
    nib = np.where(ch <= 57, ch - 48, (ch | 32) - 87).astype(np.uint64)
    hi = np.zeros(n, np.uint64)
    for k in range(16):
        hi = (hi << np.uint64(4)) | nib[:, k]
    lo = np.zeros(n, np.uint64)
    for k in range(16, 24):
        lo = (lo << np.uint64(4)) | nib[:, k]
    return hi ^ (lo * np.uint64(0xC2B2AE3D27D4EB4F))


def numpy_load(a):
    """Loads the Parquet columns into integer/float numpy arrays (untimed)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    oc = pq.read_table(_pq(a.data, "outcomes"), columns=["line", "request_id", "item_id", "event_type"])
    oc = oc.sort_by("line")
    # Item dictionary: every item id of the outcomes, then of the exposures, batch by batch.
    items = pc.unique(oc["item_id"].combine_chunks())
    pf = pq.ParquetFile(_pq(a.data, "exposure_items"))
    n = pf.metadata.num_rows
    for b in pf.iter_batches(batch_size=1 << 20, columns=["item_id"]):
        items = pc.unique(pa.concat_arrays([items, pc.unique(b.column(0))]))
    ex_req = np.empty(n, np.uint64)
    ex_item = np.empty(n, np.int64)
    ex_lp = np.empty(n, np.float64)
    ex_tp = np.empty(n, np.float64)
    at = 0
    for b in pf.iter_batches(batch_size=1 << 20,
                             columns=["request_id", "item_id", "logging_propensity", "target_propensity"]):
        m = b.num_rows
        ex_req[at:at + m] = _hex_codes(b.column(0), np)
        ex_item[at:at + m] = pc.index_in(b.column(1), value_set=items).to_numpy(zero_copy_only=False)
        ex_lp[at:at + m] = pc.fill_null(b.column(2), float("nan")).to_numpy(zero_copy_only=False)
        ex_tp[at:at + m] = pc.fill_null(b.column(3), float("nan")).to_numpy(zero_copy_only=False)
        at += m
    assert at == n
    oc_req = _hex_codes(oc["request_id"].combine_chunks(), np)
    oc_item = pc.index_in(oc["item_id"], value_set=items).to_numpy().astype(np.int64)
    oc_click = pc.equal(oc["event_type"], "click").to_numpy(zero_copy_only=False).astype(bool)
    return {"ex_req": ex_req, "ex_item": ex_item, "ex_lp": ex_lp, "ex_tp": ex_tp,
            "oc_req": oc_req, "oc_item": oc_item, "oc_click": oc_click, "items": len(items)}


def numpy_compute(d, reward, threads):
    """The timed part: keys, rewarded-pair set, weights, lookup and sums."""
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor

    mix = np.uint64(0x9E3779B97F4A7C15)
    okey = d["oc_req"] ^ (d["oc_item"].astype(np.uint64) * mix)
    if reward == "any_click":
        ck = np.unique(okey[d["oc_click"]])
    else:
        # last outcome of each pair in log order: np.unique on the reversed keys gives the first index there
        rev = okey[::-1]
        uk, first = np.unique(rev, return_index=True)
        ck = uk[d["oc_click"][::-1][first]]  # uk is sorted, so ck is too
    n_rows = len(d["ex_req"])

    def part(lo_hi):
        lo, hi = lo_hi
        lp = d["ex_lp"][lo:hi]
        tp = d["ex_tp"][lo:hi]
        valid = (lp > 0) & ~np.isnan(tp)
        w = np.minimum(tp[valid] / lp[valid], CLIP)
        key = d["ex_req"][lo:hi][valid] ^ (d["ex_item"][lo:hi][valid].astype(np.uint64) * mix)
        pos = np.searchsorted(ck, key)
        np.minimum(pos, len(ck) - 1, out=pos)
        r = ck[pos] == key if len(ck) else np.zeros(len(key), bool)
        wr = w[r]
        return len(w), wr.sum(), w.sum(), np.dot(w, w), int(r.sum())

    step = 1 << 23  # 8M rows per task keeps the temporaries small; T tasks run at a time
    slices = [(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]
    if threads == 1:
        parts = [part(s) for s in slices]
    else:
        with ThreadPoolExecutor(threads) as ex:
            parts = list(ex.map(part, slices))
    return [sum(p[i] for p in parts) for i in range(5)]


def numpy_worker(a):
    import numpy as np

    t0 = time.perf_counter()
    d = numpy_load(a)
    res = {"version": np.__version__, "threads": a.threads, "load_seconds": time.perf_counter() - t0,
           "join": "uint64 pair keys, np.unique + np.searchsorted", "answers": {}, "seconds": {},
           "item_rows": len(d["ex_req"])}
    for reward in REWARDS:
        t0 = time.perf_counter()
        row = numpy_compute(d, reward, a.threads)
        res["seconds"][reward] = time.perf_counter() - t0
        res["answers"][reward] = estimates(*row)
    return res


def worker_main(argv):
    ap = argparse.ArgumentParser(prog="ope.py _worker")
    ap.add_argument("tool", choices=("duckdb", "numpy"))
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, required=True)
    a = ap.parse_args(argv)
    res = duckdb_worker(a) if a.tool == "duckdb" else numpy_worker(a)
    print("RESULT " + json.dumps(res), flush=True)


# ----------------------------------------------------------------------------------------------
# helpers


def run_measured(cmd, cpus, scratch, env=None):
    """Runs cmd (under GNU time -v when present) pinned to cpus.
    Returns (rc, stdout, stderr, wall_s, cpu_s, peak_rss_bytes, gnu_time dict)."""
    rc, out, err, wall, ru, ttxt = run_pinned(cmd, cpus, scratch, prefix="ope-", env=env, gnu_time=True)
    gt = parse_gnu_time(ttxt) if ttxt is not None else {}
    rss = int(gt["peak_rss_kb"] * 1024) if "peak_rss_kb" in gt else ru.ru_maxrss * 1024
    cpu = gt["user_s"] + gt["sys_s"] if "user_s" in gt else ru.ru_utime + ru.ru_stime
    return rc, out, err, gt.get("wall_s", wall), cpu, rss, gt


# ----------------------------------------------------------------------------------------------
# data (untimed)


def prepare_data(a, receval):
    data = a.data
    info = {"dir": data}
    jsonl = {t: os.path.join(data, f"{t}.jsonl") for t in TABLE_NAMES}
    dataset = os.path.join(data, "d.rcv")
    items_pq, outcomes_pq = _pq(data, "exposure_items"), _pq(data, "outcomes")
    need = not os.path.exists(dataset) or not os.path.exists(items_pq) or not os.path.exists(outcomes_pq)
    if need and not all(os.path.exists(p) for p in jsonl.values()):
        if not a.exposures:
            sys.exit(f"{data} has no JSONL; pass --exposures N to generate it with `receval gen --all-fields`")
        cmd = [receval, "gen", "--exposures", str(a.exposures), "--seed", str(a.seed), "--all-fields", "--out", data]
        log("generating: " + " ".join(cmd))
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=sys.stderr)
        info["gen_seconds"] = time.perf_counter() - t0
        info["gen_cmd"] = cmd
    if not os.path.exists(dataset):
        cmd = [receval, "ingest", "--exposures", jsonl["exposures"], "--outcomes", jsonl["outcomes"],
               "--assignments", jsonl["assignments"], "--output", dataset, "--threads", str(a.threads)]
        log("ingesting: " + " ".join(cmd))
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
        sys.stderr.write(p.stderr[-3000:])
        if p.returncode != 0:
            sys.exit(f"receval ingest failed (rc {p.returncode})")
        info["ingest_seconds"] = time.perf_counter() - t0
        info["ingest_summary"] = [ln.strip() for ln in p.stderr.replace("\r", "\n").splitlines()
                                  if re.search(r"read \d+, written|wrote |spilled", ln)]
    for dst, sql, src in ((items_pq, EXPOSURE_ITEMS_SQL, jsonl["exposures"]), (outcomes_pq, OUTCOMES_SQL, jsonl["outcomes"])):
        if os.path.exists(dst):
            continue
        import duckdb

        os.makedirs(os.path.dirname(dst), exist_ok=True)
        con = duckdb.connect()
        con.execute(f"SET threads = {a.threads}")
        log(f"making {dst} with DuckDB (untimed)")
        t0 = time.perf_counter()
        con.execute(sql.format(src=sql_str(src), dst=sql_str(dst + ".tmp")))
        os.replace(dst + ".tmp", dst)
        info.setdefault("parquet_seconds", {})[os.path.basename(dst)] = time.perf_counter() - t0
        con.close()
    cfg = os.path.join(data, "bench-ope")
    os.makedirs(cfg, exist_ok=True)
    write_dataset_yaml(os.path.join(cfg, "ds.yaml"), dataset)
    for stem, text, _ in RECEVAL_RUNS.values():
        with open(os.path.join(cfg, stem + ".yaml"), "w") as f:
            f.write(text)
    p = subprocess.run([receval, "inspect", "--json", dataset], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"receval inspect cannot read {dataset}: {p.stderr.strip()[-800:]}")
    d = json.loads(p.stdout)
    info.update({"dataset": dataset, "dataset_bytes": os.path.getsize(dataset),
                 "dataset_rows": {t["name"]: t["rows"] for t in d.get("tables", [])},
                 "dataset_partitions": d.get("partitions"), "dataset_created_by": d.get("created_by"),
                 "parquet_bytes": {os.path.basename(p): os.path.getsize(p) for p in (items_pq, outcomes_pq)},
                 "jsonl_bytes": {t: os.path.getsize(p) for t, p in jsonl.items() if os.path.exists(p)},
                 "config_dir": cfg})
    return info


# ----------------------------------------------------------------------------------------------
# one process per tool per run


def run_receval(receval, cfg_dir, config, threads, cpus, scratch):
    report = os.path.join(scratch, f"report-{config}.json")
    cmd = [receval, "run", "--dataset", os.path.join(cfg_dir, "ds.yaml"), "--config", os.path.join(cfg_dir, f"{config}.yaml"),
           "--output", report, "--threads", str(threads)]
    la = loadavg()
    rc, out, err, wall, cpu, rss, gt = run_measured(cmd, cpus, scratch)
    res = {"rc": rc, "cmd": cmd, "loadavg_before": la, "seconds": wall, "process_wall_s": wall, "process_cpu_s": cpu,
           "peak_rss_bytes": rss, "gnu_time": gt}
    if rc != 0:
        res["error"] = (err or out)[-3000:]
        return res
    with open(report) as f:
        rep = json.load(f)
    ope = rep["ope"]
    est = {e["name"]: e["value"] for e in ope["estimators"]}
    ws = ope["weight_stats"]
    res["answer"] = {"n": ws["count"], "ips": est.get("ips"), "snips": est.get("snips"), "dr": est.get("dr"),
                     "ess": ws.get("effective_sample_size"), "weight_mean": ws.get("mean"),
                     "clipped_fraction": ws.get("clipped_fraction"), "total_items": ope["diagnostics"]["total_items"]}
    return res


def run_worker(tool, data, threads, cpus, scratch):
    cmd = [sys.executable, os.path.abspath(__file__), "_worker", tool, "--data", data, "--threads", str(threads)]
    env = dict(os.environ)
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[v] = str(threads)
    la = loadavg()
    rc, out, err, wall, cpu, rss, gt = run_measured(cmd, cpus, scratch, env=env)
    res = {"rc": rc, "cmd": cmd, "loadavg_before": la, "process_wall_s": wall, "process_cpu_s": cpu,
           "peak_rss_bytes": rss, "gnu_time": gt}
    m = result_line(out)
    if rc != 0 or m is None:
        res["rc"] = rc if rc != 0 else 1
        res["error"] = (err or out)[-3000:]
        return res
    res.update(m)
    return res


def close(a, b, rel=1e-9):
    if a is None or b is None:
        return False
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


# ----------------------------------------------------------------------------------------------


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with the JSONL, d.rcv and pq/ (made when missing)")
    ap.add_argument("--receval", help="receval binary (default: swift build -c release --product receval)")
    ap.add_argument("--runs", type=int, default=3, help="runs of every tool, alternating order (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="threads for every tool and CPUs they are pinned to (default 2)")
    ap.add_argument("--exposures", type=int, help="exposures to generate if DIR has no JSONL")
    ap.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    ap.add_argument("--no-numpy", action="store_true", help="skip the numpy peer")
    ap.add_argument("--json", help="result file (default DIR/bench_ope.json)")
    a = ap.parse_args()
    if a.runs < 1 or a.threads < 1:
        ap.error("--runs and --threads must be at least 1")
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("DuckDB's Python package is missing: pip install duckdb")
    a.data = os.path.abspath(a.data)
    os.makedirs(a.data, exist_ok=True)
    scratch = os.path.join(a.data, "bench-ope", "scratch")
    os.makedirs(scratch, exist_ok=True)
    result_path = os.path.abspath(a.json or os.path.join(a.data, "bench_ope.json"))

    load_start = loadavg()
    log(f"load average at start: {fmt_load(load_start)}")
    src_bin, built = resolve_receval(a.receval)
    receval = os.path.join(a.data, "bench-ope", "receval-bench-ope")
    receval_sha = private_copy(src_bin, receval)

    info = prepare_data(a, receval)
    log(f"data: {info['dataset']} ({info['dataset_bytes']:,} B), Parquet {sum(info['parquet_bytes'].values()):,} B")

    cpus, _ = pinned_cpus(a.threads)
    warm_page_cache([info["dataset"], _pq(a.data, "exposure_items"), _pq(a.data, "outcomes")])

    tools = list(RECEVAL_RUNS) + ["duckdb"] + ([] if a.no_numpy else ["numpy"])
    runs = {t: [] for t in tools}
    for i in range(a.runs):
        order = tools if i % 2 == 0 else tools[::-1]
        for t in order:
            log(f"run {i + 1}/{a.runs} {t}: load {fmt_load(loadavg())}")
            if t in RECEVAL_RUNS:
                r = run_receval(receval, info["config_dir"], RECEVAL_RUNS[t][0], a.threads, cpus, scratch)
            else:
                r = run_worker(t, a.data, a.threads, cpus, scratch)
            runs[t].append(r)
            if r["rc"] != 0:
                log(f"{t} FAILED rc={r['rc']}: {r.get('error', '')[-1500:]}")
            elif t.startswith("receval"):
                log(f"  {r['seconds']:.2f} s wall, {r['process_cpu_s']:.1f} CPU s, {r['peak_rss_bytes'] / 2**20:,.0f} MiB")
            else:
                log("  " + ", ".join(f"{k} {v:.2f} s" for k, v in r["seconds"].items())
                    + f" (process {r['process_wall_s']:.1f} s, {r['peak_rss_bytes'] / 2**20:,.0f} MiB)")
    load_end = loadavg()
    log(f"load average at end: {fmt_load(load_end)}")

    notes = []
    ok = {t: [r for r in rs if r["rc"] == 0] for t, rs in runs.items()}
    failed = [t for t, rs in runs.items() if any(r["rc"] != 0 for r in rs)]
    for t in failed:
        notes.append(f"{t} failed in at least one run")

    # Item rows: the samples recsys-eval's item unit considers (receval's weight count).
    ref = ok["receval"][0]["answer"] if ok["receval"] else (ok["receval_noboot"][0]["answer"] if ok["receval_noboot"] else None)
    item_rows = ref["total_items"] if ref else None

    def summ(t, key):
        secs = [r["seconds"][key] if isinstance(r["seconds"], dict) else r["seconds"] for r in ok[t]]
        if not secs:
            return None
        med = statistics.median(secs)
        return {"runs": len(secs), "median_s": med, "min_s": min(secs), "max_s": max(secs),
                "items_per_s": item_rows / med if item_rows and med > 0 else None,
                "process_wall_median_s": statistics.median(r["process_wall_s"] for r in ok[t]),
                "process_cpu_median_s": statistics.median(r["process_cpu_s"] for r in ok[t]),
                "peak_rss_bytes": max(r["peak_rss_bytes"] for r in ok[t])}

    sums = {}
    for t in RECEVAL_RUNS:
        sums[t] = summ(t, None)
    for t in ("duckdb", "numpy"):
        if t in ok:
            for reward in REWARDS:
                sums[f"{t}_{reward}"] = summ(t, reward)
    if ok.get("numpy"):
        sums["numpy_any_click"]["load_median_s"] = statistics.median(r["load_seconds"] for r in ok["numpy"])

    ratios = {}
    for base in RECEVAL_RUNS:
        if not sums.get(base):
            continue
        for peer in ("duckdb_any_click", "duckdb_last", "numpy_any_click", "numpy_last"):
            if sums.get(peer):
                ratios[f"{peer}_s_over_{base}_s"] = sums[peer]["median_s"] / sums[base]["median_s"]
        if sums.get("duckdb_any_click"):
            ratios[f"duckdb_process_s_over_{base}_s"] = sums["duckdb_any_click"]["process_wall_median_s"] / sums[base]["median_s"]

    # Answers.
    answers = {"receval": ref}
    diffs = []
    for t in ("duckdb", "numpy"):
        for r in ok.get(t, []):
            for reward in REWARDS:
                a0 = ok[t][0]["answers"][reward]
                ar = r["answers"][reward]
                if ar["n"] != a0["n"] or ar["rewarded"] != a0["rewarded"] or not close(ar["ips"], a0["ips"]):
                    diffs.append(f"{t} {reward}: runs differ")
        if ok.get(t):
            answers[t] = ok[t][0]["answers"]
    for t in RECEVAL_RUNS:
        for r in ok[t]:
            if ref and (r["answer"]["n"] != ref["n"] or r["answer"]["ips"] != ref["ips"] or r["answer"]["snips"] != ref["snips"]):
                diffs.append(f"{t}: runs give different ope estimators")
    if ref:
        for t in ("duckdb", "numpy"):
            if t not in answers:
                continue
            last = answers[t]["last"]
            if last["n"] != ref["n"]:
                diffs.append(f"{t} last: n {last['n']} != receval {ref['n']}")
            for k in ("ips", "snips"):
                if not close(last[k], ref[k]):
                    diffs.append(f"{t} last: {k} {last[k]!r} != receval {ref[k]!r}")
    if "duckdb" in answers and "numpy" in answers:
        for reward in REWARDS:
            x, y = answers["duckdb"][reward], answers["numpy"][reward]
            if x["n"] != y["n"] or x["rewarded"] != y["rewarded"] or not close(x["ips"], y["ips"]) or not close(x["snips"], y["snips"]):
                diffs.append(f"numpy vs duckdb {reward}: {y} != {x}")
    answers_ok = not diffs and ref is not None and len(answers) > 1
    if ref and "duckdb" in answers:
        anyc = answers["duckdb"]["any_click"]
        notes.append(f"any-click reward vs receval's last-outcome reward: IPS {anyc['ips']:.9g} vs {ref['ips']:.9g} "
                     f"({(anyc['ips'] / ref['ips'] - 1) * 100:+.2f}%); rewarded items {anyc['rewarded']:,} vs "
                     f"{answers['duckdb']['last']['rewarded']:,} (a click later followed by a conversion on the same item)")

    git_rev, git_dirty = git_state()
    result = {
        "benchmark": "ope_item_ips_snips",
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(cpus),
        "loadavg_start": load_start, "loadavg_end": load_end,
        "params": {"runs": a.runs, "threads": a.threads, "clipping": CLIP, "ope_yaml": OPE_YAML,
                   "ope_noboot_yaml": OPE_NOBOOT_YAML, "ope_compat_yaml": OPE_COMPAT_YAML},
        "data": info, "item_rows": item_rows,
        # git_rev is this repository's revision; with --receval the binary may come from another one.
        "receval": {"binary": src_bin, "built_here": built, "sha256": receval_sha, "git_rev": git_rev,
                    "git_worktree_dirty": git_dirty},
        "versions": {t: ok[t][0].get("version") for t in ("duckdb", "numpy") if ok.get(t)},
        "summary": sums, "ratios": ratios,
        "answers": {"match": answers_ok, "differences": diffs, "values": answers},
        "notes": notes, "runs": runs,
    }
    write_json_atomic(result_path, result)

    print()
    print(f"OPE (recsys-eval item unit: IPS, SNIPS, clipping {CLIP:g}), {item_rows:,} shown items" if item_rows else "OPE")
    print(f"receval sha256 {receval_sha[:12]} (repository at {git_rev or '?'}{', dirty tree' if git_dirty else ''}) | "
          + " | ".join(f"{t} {v}" for t, v in result["versions"].items())
          + f" | {a.threads} threads, pinned to CPUs {sorted(cpus)} | {a.runs} run(s), alternating")
    print(f"load average (1/5/15 min): start {fmt_load(load_start)}, end {fmt_load(load_end)}")
    print()
    hdr = f"{'tool':26s} {'median s':>9s} {'min-max s':>15s} {'items/s':>10s} {'peak RSS':>10s} {'process s':>9s} {'CPU s':>7s}"
    print(hdr)
    print("-" * len(hdr))
    labels = {**{t: v[2] for t, v in RECEVAL_RUNS.items()},
              "duckdb_any_click": "DuckDB, any click", "duckdb_last": "DuckDB, last outcome",
              "numpy_any_click": "numpy, any click", "numpy_last": "numpy, last outcome"}
    for k, lab in labels.items():
        s = sums.get(k)
        if not s:
            continue
        ips = f"{s['items_per_s'] / 1e6:8.1f} M" if s["items_per_s"] else "n/a"
        print(f"{lab:26s} {s['median_s']:9.3f} {s['min_s']:7.3f}-{s['max_s']:<7.3f} {ips:>10s} "
              f"{s['peak_rss_bytes'] / 2**20:6.0f} MiB {s['process_wall_median_s']:9.2f} {s['process_cpu_median_s']:7.1f}")
    print("(receval: whole process; DuckDB: the query inside the process; numpy: the compute after loading)")
    if ratios:
        print()
        for k, v in ratios.items():
            print(f"  {k} = {v:.2f}x")
        print("  (peer seconds / receval seconds: above 1, receval is faster)")
    print()
    if ref:
        print(f"receval ope: n {ref['n']:,} ips {ref['ips']:.9g} snips {ref['snips']:.9g}")
    for t in ("duckdb", "numpy"):
        if t in answers:
            for reward in REWARDS:
                x = answers[t][reward]
                print(f"{t:6s} {reward:9s}: n {x['n']:,} ips {x['ips']:.9g} snips {x['snips']:.9g} rewarded {x['rewarded']:,}")
    for n in notes:
        print("note: " + n)
    for d in diffs[:20]:
        print("  " + d)
    print()
    print("ANSWERS PASS: receval = DuckDB = numpy on the last-outcome reward" if answers_ok else f"ANSWERS FAIL: {len(diffs)} difference(s)")
    print(f"results: {result_path}")
    print("SUMMARY " + json.dumps({"item_rows": item_rows, "summary": sums, "ratios": ratios, "answers_match": answers_ok,
                                   "loadavg_start": load_start, "loadavg_end": load_end}))
    if not answers_ok or failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
