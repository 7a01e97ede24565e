#!/usr/bin/env python3
"""Parquet benchmark: `receval export --format parquet` of each table of a dataset, against
DuckDB writing the same rows as Parquet (zstd) from a Parquet copy of them; and `receval
ingest` of those Parquet files, against DuckDB loading them into its tables. Same run,
alternating, on the same threads.

    python3 tools/bench/parquet.py --dataset PATH [--runs 3] [--threads 2] [--receval PATH]

DuckDB's input is receval's own export of the table (so both write the same rows and types);
DuckDB reads it and writes it again (`COPY (SELECT * FROM read_parquet(...)) TO ... (FORMAT
parquet, COMPRESSION zstd)`), as receval reads its columnar dataset and writes Parquet. Reported:
median wall seconds, the ratio (DuckDB / receval: above 1, receval is faster) and the files'
sizes. Timed benchmarks are never part of the tests; run by hand, -c release.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from scale import receval_binary  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--receval")
    args = parser.parse_args()
    import duckdb

    receval = receval_binary(args.receval)
    rows = []
    with tempfile.TemporaryDirectory(prefix="receval-parquet-bench-") as work:
        for table, layout in [("exposures", "records"), ("exposures", "items"), ("outcomes", "records"), ("assignments", "records")]:
            mine = os.path.join(work, f"{table}-{layout}.parquet")
            theirs = os.path.join(work, f"{table}-{layout}-duckdb.parquet")
            cmd = [receval, "export", args.dataset, "--table", table, "--format", "parquet", "--layout", layout, "-o", mine]
            r_times, d_times = [], []
            for _ in range(args.runs):
                t = time.perf_counter()
                subprocess.run(cmd, check=True)
                r_times.append(time.perf_counter() - t)
                con = duckdb.connect()
                con.execute(f"SET threads={args.threads}")
                t = time.perf_counter()
                con.execute(f"COPY (SELECT * FROM read_parquet('{mine}')) TO '{theirs}' (FORMAT parquet, COMPRESSION zstd)")
                d_times.append(time.perf_counter() - t)
                con.close()
            r, d = statistics.median(r_times), statistics.median(d_times)
            rows.append((f"{table} ({layout})", r, d, os.path.getsize(mine), os.path.getsize(theirs)))
            print(f"{table} {layout}: receval {r:.2f} s, DuckDB {d:.2f} s", file=sys.stderr)
        # Ingest: receval reading the three Parquet exports into a dataset, against DuckDB
        # loading the same files into its own tables (CREATE TABLE AS read_parquet).
        files = {t: os.path.join(work, f"{t}-records.parquet") for t in ("exposures", "outcomes", "assignments")}
        cmd = [receval, "ingest", "-o", os.path.join(work, "in.rcv"), "--quiet", "--threads", str(args.threads)]
        for t, f in files.items():
            cmd += [f"--{t}", f]
        r_times, d_times = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            r_times.append(time.perf_counter() - t0)
            db = os.path.join(work, "in.duckdb")
            if os.path.exists(db):
                os.remove(db)
            con = duckdb.connect(db)
            con.execute(f"SET threads={args.threads}")
            t0 = time.perf_counter()
            for t, f in files.items():
                con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_parquet('{f}')")
            con.execute("CHECKPOINT")
            d_times.append(time.perf_counter() - t0)
            con.close()
        ingest = (statistics.median(r_times), statistics.median(d_times), os.path.getsize(os.path.join(work, "in.rcv")),
                  os.path.getsize(os.path.join(work, "in.duckdb")))
    print(f"dataset {args.dataset}, {args.threads} threads, median of {args.runs} alternating runs\n")
    print("| table | receval export | DuckDB Parquet -> Parquet | DuckDB / receval | receval file | DuckDB file |")
    print("|---|---|---|---|---|---|")
    for name, r, d, a, b in rows:
        print(f"| {name} | {r:.2f} s | {d:.2f} s | {d / r:.2f}x | {a / 2**20:.1f} MiB | {b / 2**20:.1f} MiB |")
    r, d, a, b = ingest
    print("\n| ingest of the three tables' Parquet | receval ingest | DuckDB CREATE TABLE AS read_parquet | DuckDB / receval | receval dataset | DuckDB database |")
    print("|---|---|---|---|---|---|")
    print(f"| records layout | {r:.2f} s | {d:.2f} s | {d / r:.2f}x | {a / 2**20:.1f} MiB | {b / 2**20:.1f} MiB |")


if __name__ == "__main__":
    sys.exit(main())
