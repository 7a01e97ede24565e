#!/usr/bin/env python3
"""Monitor benchmark: `receval run --mode monitor` (1-hour windows by model version) against
DuckDB computing the same series from the dataset's Parquet export, in the same run, and the two
compared number for number.

    python3 tools/bench/monitor.py --dataset N=PATH [--dataset N=PATH ...] [--receval PATH]
                                   [--threads 2] [--markdown FILE]

A dataset comes from logs generated with `receval gen --all-fields --monitor-fields` (exact
re-logged duplicates only, so which copy of a request DuckDB keeps cannot matter). The script
exports its exposures and outcomes to Parquet once (`receval export --format parquet`, not
timed), then times, as separate processes with GNU time:

- receval: the monitor with SLIs only (`series`), and with everything (SLOs, fairness by device,
  drift of items and surface, exploration);
- DuckDB (`SET threads`): the first exposure per request, outcomes per request, and per (hour,
  model version) and per hour: requests, error, empty and click rates and the nearest-rank p95 of
  latency (sorted list, element ⌈0.95·n⌉).

Every (window, group) row of DuckDB's must equal receval's: requests exactly, rates to 1e-12, p95
exactly; else the script fails. Timed benchmarks are never part of the unit tests; run it by hand,
-c release.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from scale import receval_binary, timed  # noqa: E402

SERIES = """mode: monitor
monitor:
  window: 1h
  group_by: [model_version]
"""
FULL = SERIES + """  slo: {latency_p95_ms: 130, error_rate: 0.02, empty_rate: 0.01}
  fairness: {key: device, metric: ctr}
  drift: {reference: first, keys: [surface], items: true}
  exploration: {context_key: exploration}
"""

QUERY = """
SET TimeZone = 'UTC';
SET threads = {threads};
COPY (
WITH e AS (
  SELECT DISTINCT ON (request_id) request_id, ts, latency_ms, coalesce(error, false) AS err, len(items) = 0 AS empty,
         map_extract(context, 'model_version')[1] AS mv
  FROM read_parquet('{exposures}')),
o AS (SELECT request_id, bool_or(lower(event_type) = 'click') AS clicked FROM read_parquet('{outcomes}') GROUP BY request_id),
j AS (SELECT time_bucket(INTERVAL 1 hour, ts) AS w, mv, latency_ms, err, empty, coalesce(o.clicked, false) AS clicked
      FROM e LEFT JOIN o USING (request_id))
SELECT strftime(w, '%Y-%m-%dT%H:%M:%SZ') AS window_start, mv, grouping(mv) AS whole, count(*) AS requests,
       avg(err::INT) AS error_rate, avg(empty::INT) AS empty_rate, avg(clicked::INT) AS ctr,
       list_sort(list(latency_ms) FILTER (WHERE latency_ms IS NOT NULL))[ceil(0.95 * count(latency_ms))::BIGINT] AS p95
FROM j GROUP BY GROUPING SETS ((w, mv), (w)) ORDER BY ALL
) TO '{out}' (FORMAT json);
"""


def duckdb_run(sql_path, out, threads):
    code = (
        "import duckdb, sys\n"
        "con = duckdb.connect()\n"
        "for stmt in open(sys.argv[1]).read().split(';\\n'):\n"
        "    if stmt.strip(): con.execute(stmt)\n"
    )
    return timed([sys.executable, "-c", code, sql_path])


def compare(report_path, duck_path):
    with open(report_path) as f:
        series = json.load(f)["monitor"]["series"]
    ours = {}
    for row in series:
        group = row["group"].get("model_version") if row["group"] else "*"
        ours[(row["window_start"], group)] = row
    rows = [json.loads(line) for line in open(duck_path) if line.strip()]
    mismatches = []
    for d in rows:
        key = (d["window_start"], "*" if d["whole"] else d["mv"])
        r = ours.get(key)
        if r is None:
            mismatches.append(f"{key}: not in receval's series")
            continue
        checks = [("requests", d["requests"], r["requests"], 0)] + [
            (k, d[k], r[k], 1e-12) for k in ("error_rate", "empty_rate", "ctr")]
        checks.append(("p95", d["p95"], (r["latency_ms"] or {}).get("p95"), 0))
        for name, x, y, tol in checks:
            if x is None or y is None or not math.isclose(x, y, rel_tol=0, abs_tol=tol):
                mismatches.append(f"{key} {name}: duckdb {x}, receval {y}")
    if len(rows) != len(ours):
        mismatches.append(f"{len(rows)} DuckDB rows, {len(ours)} receval rows")
    return len(rows), mismatches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", action="append", required=True, help="N=PATH")
    ap.add_argument("--receval")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--markdown")
    args = ap.parse_args()
    binary = receval_binary(args.receval)
    lines = ["| exposures | receval, series | receval, everything | DuckDB, series from Parquet | ratio (series) | rows compared |",
             "|---|---|---|---|---|---|"]
    for spec in args.dataset:
        n, path = spec.split("=", 1)
        folder = os.path.dirname(os.path.abspath(path))
        tables = {t: os.path.join(folder, f"{t}.parquet") for t in ("exposures", "outcomes")}
        for t, p in tables.items():
            if not os.path.exists(p):
                subprocess.run([binary, "export", path, "--table", t, "--format", "parquet", "--output", p], check=True)
        with tempfile.TemporaryDirectory() as tmp:
            dataset = os.path.join(tmp, "d.yaml")
            with open(dataset, "w") as f:
                f.write(f"exposures: {{type: receval, path: {os.path.abspath(path)}}}\n")
                f.write(f"outcomes: {{type: receval, path: {os.path.abspath(path)}}}\n")
            results = {}
            for name, yaml in (("series", SERIES), ("full", FULL)):
                cfg = os.path.join(tmp, name + ".yaml")
                with open(cfg, "w") as f:
                    f.write(yaml)
                out = os.path.join(tmp, name + ".json")
                results[name] = timed([binary, "run", "--dataset", dataset, "--config", cfg, "--output", out,
                                       "--threads", str(args.threads)])
            sql = os.path.join(tmp, "q.sql")
            duck_out = os.path.join(tmp, "duck.json")
            with open(sql, "w") as f:
                f.write(QUERY.format(threads=args.threads, exposures=tables["exposures"], outcomes=tables["outcomes"],
                                     out=duck_out))
            duck = duckdb_run(sql, duck_out, args.threads)
            compared, mismatches = compare(os.path.join(tmp, "series.json"), duck_out)
            if mismatches:
                raise SystemExit(f"receval and DuckDB disagree at {n}:\n" + "\n".join(mismatches[:20]))

        def cell(r):
            return f"{r[0]:.2f} s ({r[1]:.1f} s CPU), {r[2] / 1024:.0f} MiB"
        lines.append(f"| {int(n):,} | {cell(results['series'])} | {cell(results['full'])} | {cell(duck)} | "
                     f"{duck[0] / results['series'][0]:.2f}x | {compared:,} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
