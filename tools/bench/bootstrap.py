#!/usr/bin/env python3
"""Bootstrap benchmark: receval's Poisson kernel against numpy and DuckDB, same run, same data.

    python3 tools/bench/bootstrap.py --dataset DATASET.rcv --pq DIR [--replicates 1000] [--runs 3]
                                     [--threads 2] [--receval PATH]

The statistic, as in the published anchor: the request-level CTR difference (candidate - control),
y = 1 when a request has at least one click, over every request with an assignment, and its 95%
percentile interval over the replicates.

  receval       `receval bench bootstrap DATASET --unit request --replicates B --json`: Poisson(1)
                weights from a counter-based hash of (seed, replicate, request id), weighted sums per
                arm. Preparing the per-request y vector is timed apart ("load_seconds").
  numpy-index   classic resampling with numpy (uint32 indices with replacement, y[idx].sum()),
                replicates split over T threads; loading y from Parquet is left out.
  numpy-poisson numpy's Poisson(1) weights (`rng.poisson`, then w @ y), split over T threads.
  duckdb        Poisson weights from an inverse CDF of random() over a B x requests cross join.

Every process is pinned to the same T CPUs; timings are taken inside the processes. The script
prints each tool's median seconds, its interval, and receval's speed-up over each peer, and checks
that the intervals agree (each bound within 5% of the difference's magnitude of receval's).
Timed benchmarks are never part of the unit tests; run this script by hand.

DIR holds assignments.parquet and outcomes.parquet (tools/bench/join.py writes them); the dataset
must hold the same logs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def load_y(pq):
    import pyarrow.compute as pc
    import pyarrow.parquet as pqm
    a = pqm.read_table(f"{pq}/assignments.parquet", columns=["request_id", "variant"])
    o = pqm.read_table(f"{pq}/outcomes.parquet", columns=["request_id", "event_type"])
    clicked = pc.unique(o.filter(pc.equal(o["event_type"], "click"))["request_id"])
    y = pc.is_in(a["request_id"], value_set=clicked).to_numpy(zero_copy_only=False).astype(np.uint8)
    cand = pc.equal(a["variant"], "candidate").to_numpy(zero_copy_only=False)
    return y[~cand], y[cand]


def boot_index(y, b, rng, chunk=16):
    n = len(y)
    out = np.empty(b)
    for s in range(0, b, chunk):
        k = min(chunk, b - s)
        idx = rng.integers(0, n, size=(k, n), dtype=np.uint32)
        out[s:s + k] = y[idx].sum(axis=1, dtype=np.int64) / n
    return out


def boot_poisson(y, b, rng, chunk=16):
    n = len(y)
    out = np.empty(b)
    yf = y.astype(np.float32)
    for s in range(0, b, chunk):
        k = min(chunk, b - s)
        w = rng.poisson(1.0, size=(k, n)).astype(np.float32)
        out[s:s + k] = (w @ yf) / w.sum(axis=1)
    return out


def numpy_run(method, y0, y1, b, threads, seed=7):
    f = {"index": boot_index, "poisson": boot_poisson}[method]
    parts = [b // threads + (1 if i < b % threads else 0) for i in range(threads)]
    seeds = np.random.SeedSequence(seed).spawn(2 * threads)

    def job(i):
        r0, r1 = np.random.default_rng(seeds[2 * i]), np.random.default_rng(seeds[2 * i + 1])
        return f(y1, parts[i], r1) - f(y0, parts[i], r0)

    with ThreadPoolExecutor(threads) as ex:
        return np.concatenate(list(ex.map(job, range(threads))))


DUCKDB_SQL = """
WITH r AS (SELECT a.variant = 'candidate' AS cand, (c.request_id IS NOT NULL)::DOUBLE AS y
           FROM read_parquet('{pq}/assignments.parquet') a
           LEFT JOIN (SELECT DISTINCT request_id FROM read_parquet('{pq}/outcomes.parquet') WHERE event_type = 'click') c
           USING (request_id)),
rb AS MATERIALIZED (SELECT * FROM r),
w0 AS (SELECT b, cand, y, random() AS u FROM rb, range({b}) t(b)),
w AS (SELECT b, cand, y, CASE WHEN u < 0.36787944 THEN 0 WHEN u < 0.73575888 THEN 1 WHEN u < 0.91969860 THEN 2
              WHEN u < 0.98101184 THEN 3 WHEN u < 0.99634015 THEN 4 WHEN u < 0.99940582 THEN 5 ELSE 6 END AS wt FROM w0),
g AS (SELECT b, cand, sum(wt * y) / sum(wt) AS ctr FROM w GROUP BY b, cand)
SELECT quantile_cont(d, 0.025), quantile_cont(d, 0.975), count(*) FROM (
  SELECT b, max(ctr) FILTER (WHERE cand) - max(ctr) FILTER (WHERE NOT cand) AS d FROM g GROUP BY b)
"""


def child(args):
    """Runs one peer measurement in this (pinned) process and prints a JSON line."""
    if args.tool == "duckdb":
        import duckdb
        con = duckdb.connect()
        con.execute(f"SET threads = {args.threads}")
        times, ci = [], None
        for _ in range(args.runs):
            t = time.perf_counter()
            lo, hi, _ = con.execute(DUCKDB_SQL.format(pq=args.pq, b=args.replicates)).fetchone()
            times.append(time.perf_counter() - t)
            ci = [lo, hi]
    else:
        y0, y1 = load_y(args.pq)
        times, ci = [], None
        for _ in range(args.runs):
            t = time.perf_counter()
            d = numpy_run(args.tool.split("-")[1], y0, y1, args.replicates, args.threads)
            times.append(time.perf_counter() - t)
            ci = [float(x) for x in np.quantile(d, [0.025, 0.975])]
    print(json.dumps({"tool": args.tool, "seconds": statistics.median(times), "ci95": ci}))


def pinned(cmd, threads):
    cpus = ",".join(str(i) for i in range(threads))
    return ["taskset", "-c", cpus] + cmd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset")
    ap.add_argument("--pq", required=True)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--receval", default=".build/release/receval")
    ap.add_argument("--child", dest="tool")
    ap.add_argument("--skip", default="", help="comma-separated peers to skip (numpy-poisson is slow)")
    args = ap.parse_args()
    if args.tool:
        return child(args)
    results = {}
    out = subprocess.run(pinned([args.receval, "bench", "bootstrap", args.dataset, "--unit", "request", "--replicates",
                                 str(args.replicates), "--repeat", str(args.runs), "--threads", str(args.threads), "--json"],
                                args.threads), check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    results["receval"] = {"seconds": r["seconds"], "ci95": r["answer"]["ci95"], "diff": r["answer"]["diff"], "units": r["units"]}
    for tool in ["numpy-index", "numpy-poisson", "duckdb"]:
        if tool in args.skip.split(","):
            continue
        out = subprocess.run(pinned([sys.executable, __file__, "--child", tool, "--pq", args.pq, "--replicates", str(args.replicates),
                                     "--runs", str(args.runs), "--threads", str(args.threads)], args.threads),
                             check=True, capture_output=True, text=True).stdout
        results[tool] = json.loads(out.strip().splitlines()[-1])
    base = results["receval"]
    scale = abs(base["diff"])
    ok = True
    print(f"{base['units']} requests, {args.replicates} replicates, {args.threads} threads, median of {args.runs}")
    for tool, r in results.items():
        agree = all(abs(a - b) <= 0.05 * scale for a, b in zip(r["ci95"], base["ci95"])) if tool != "receval" else True
        ok &= agree
        ratio = "" if tool == "receval" else f"  receval is {r['seconds'] / base['seconds']:.1f}x faster"
        print(f"{tool:14s} {r['seconds']:8.3f} s  ci95 [{r['ci95'][0]:.5f}, {r['ci95'][1]:.5f}]{'' if agree else ' (DISAGREES)'}{ratio}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main() or 0)
