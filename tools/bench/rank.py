#!/usr/bin/env python3
"""Ranking metrics benchmark: `receval bench rank` against DuckDB on the same data, same run.

    python3 tools/bench/rank.py DIR [--runs 3] [--threads 2] [--receval PATH]

DIR is a folder prepared by tools/bench/join.py (or tools/bench/ingest.py): it holds
out-receval/dataset.rcv and out-duckdb/{exposures,outcomes}.parquet made from the same JSONL.

Both compute, over requests with at least one clicked item that was shown, the mean P@10 (hits
in the top 10 / 10) and NDCG@10 with binary gains; DuckDB runs the anchor query in its plain form
(unnest every shown item) and with a semi-join prefilter, in-process, R repetitions each;
receval runs `bench rank --events click --k 10` (its IR definition set) in one process with
--repeat R. The answers (number of requests, P@10, NDCG@10) must agree to 1e-9.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import build_receval, fmt_load, loadavg  # noqa: E402

RANK_SQL = """
WITH clicks AS (SELECT DISTINCT request_id, item_id FROM read_parquet('{pq}/outcomes.parquet')
                WHERE event_type = 'click'),
shown AS (SELECT request_id, unnest(items, recursive := true) FROM read_parquet('{pq}/exposures.parquet')),
hits AS (SELECT DISTINCT s.request_id, s.rank FROM shown s
         JOIN clicks c ON s.request_id = c.request_id AND s.item_id = c.item_id),
per_req AS (
  SELECT request_id, count(*) AS n_rel,
         count(*) FILTER (WHERE rank <= 10) / 10.0 AS p10,
         coalesce(sum(1.0 / log2(rank + 1)) FILTER (WHERE rank <= 10), 0) AS dcg
  FROM hits GROUP BY request_id),
scored AS (
  SELECT p10, dcg / (SELECT sum(1.0 / log2(i + 1)) FROM range(1, least(n_rel, 10) + 1) t(i)) AS ndcg
  FROM per_req)
SELECT count(*) AS requests_with_clicks, avg(p10) AS mean_p10, avg(ndcg) AS mean_ndcg10 FROM scored
"""
PREFILTER_SQL = RANK_SQL.replace(
    "shown AS (SELECT request_id, unnest(items, recursive := true) FROM read_parquet('{pq}/exposures.parquet')),",
    "shown AS (SELECT request_id, unnest(items, recursive := true) FROM read_parquet('{pq}/exposures.parquet')\n"
    "          WHERE request_id IN (SELECT request_id FROM clicks)),")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--receval", default=None)
    a = ap.parse_args()
    pq = os.path.join(a.dir, "out-duckdb")
    ds = os.path.join(a.dir, "out-receval", "dataset.rcv")
    receval = a.receval
    if receval is None:
        receval = build_receval()
    print(f"load average at start: {fmt_load(loadavg())}")
    out = subprocess.run([receval, "bench", "rank", ds, "--k", "10", "--events", "click", "--threads", str(a.threads),
                          "--repeat", str(a.runs)], check=True, capture_output=True, text=True).stdout
    m = re.search(r"median ([0-9.]+) s", out)
    ir = re.search(r"^ir\s+cases (\d+)\s+precision (\S+)\s+recall \S+\s+hitrate \S+\s+map \S+\s+ndcg (\S+)", out, re.M)
    r_s = float(m.group(1))
    r_ans = (int(ir.group(1)), float(ir.group(2)), float(ir.group(3)))
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    results = {"receval": {"median_s": r_s, "answer": r_ans}}
    for name, sql in (("duckdb rank", RANK_SQL), ("duckdb rank_prefilter", PREFILTER_SQL)):
        times, ans = [], None
        for _ in range(a.runs):
            t0 = time.perf_counter()
            ans = con.execute(sql.format(pq=pq)).fetchone()
            times.append(time.perf_counter() - t0)
        results[name] = {"median_s": statistics.median(times), "times": times, "answer": tuple(ans)}
    ok = True
    for name, r in results.items():
        ans = r["answer"]
        same = ans[0] == r_ans[0] and abs(ans[1] - r_ans[1]) <= 1e-9 and abs(ans[2] - r_ans[2]) <= 1e-9
        ok &= same
        ratio = r["median_s"] / r_s
        print(f"{name:24s} median {r['median_s']:.3f} s  requests {ans[0]}  P@10 {ans[1]:.6f}  NDCG@10 {ans[2]:.6f}"
              f"  time ratio vs receval {ratio:.1f}x  {'same answer' if same else 'DIFFERENT ANSWER'}")
    print(f"load average at end: {fmt_load(loadavg())}")
    print("PASS: answers agree" if ok else "FAIL: answers differ")
    with open(os.path.join(a.dir, "bench_rank.json"), "w") as f:
        json.dump(results, f, indent=2)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
