#!/usr/bin/env python3
"""Checks `receval export --format parquet` against the reference readers (run by tools/test.sh).

For logs it generates (every optional field, unicode, nested `extra` members, time offsets,
missing contexts and values) and for any datasets given: every table exported as JSONL and as
Parquet; pyarrow and DuckDB each read the Parquet, and every row must hold the JSONL export's
values (ids, ranks, propensities, the other item members, context pairs in order, latency, error,
the instant of ts with its offset and sub-microsecond part). The items layout must hold one row
per shown item with the same values. Also checks the footer: zstd pages, statistics per chunk.

    RECEVAL=.build/debug/receval python3 tools/interop/check_parquet.py [DATASET ...]
"""
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
TS = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))$")


def instant(text):
    """(UTC microseconds, sub-microsecond nanoseconds, offset minutes) of an RFC 3339 time."""
    m = TS.match(text)
    if not m:
        raise ValueError(f"not RFC 3339: {text}")
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(9, "0")[:9]
    offset = 0 if m.group(8) else (1 if m.group(9) == "+" else -1) * (int(m.group(10)) * 60 + int(m.group(11)))
    days = (datetime.date(y, mo, d) - datetime.date(1970, 1, 1)).days
    seconds = days * 86400 + h * 3600 + mi * 60 + s - offset * 60
    return seconds * 1_000_000 + int(frac[:6]), int(frac[6:]), offset


ITEM_KNOWN = ("item_id", "rank", "propensity", "logging_propensity", "target_propensity")


def canonical_item(item):
    out = {k: item.get(k) for k in ITEM_KNOWN}
    rest = {k: v for k, v in item.items() if k not in ITEM_KNOWN}
    out["extra"] = rest or None
    return out


def from_jsonl(table, rec):
    """A JSONL export record in the comparison form."""
    out = {k: rec.get(k) for k in rec if k not in ("ts", "items", "context")}
    out["ts"] = instant(rec["ts"])
    if table in ("exposures", "assignments"):
        ctx = rec.get("context")
        out["context"] = None if ctx is None else list(ctx.items())
    if table == "exposures":
        out["items"] = [canonical_item(i) for i in rec["items"]]
        out.setdefault("latency_ms", None)
        out.setdefault("error", None)
    if table == "outcomes":
        out.setdefault("value", None)
    return out


def micros(ts):
    if isinstance(ts, datetime.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=datetime.timezone.utc)
        delta = ts - EPOCH
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return int(ts)


def from_parquet(table, row):
    """A Parquet row (pyarrow or DuckDB) in the comparison form."""
    out = {k: v for k, v in row.items() if k not in ("ts", "ts_nanos", "ts_offset_minutes", "items", "context")}
    out["ts"] = (micros(row["ts"]), row["ts_nanos"], row["ts_offset_minutes"])
    if "context" in row:
        ctx = row["context"]
        if isinstance(ctx, dict):  # DuckDB returns a MAP as a dict
            ctx = list(ctx.items()) if "key" not in ctx else list(zip(ctx["key"], ctx["value"]))
        out["context"] = None if ctx is None else [tuple(p) if not isinstance(p, dict) else (p["key"], p["value"]) for p in ctx]
    if "items" in row:
        items = []
        for i in row["items"]:
            i = dict(i)
            i["extra"] = json.loads(i["extra"]) if i.get("extra") is not None else None
            items.append(i)
        out["items"] = items
    return out


def compare(name, want, got, failures):
    if len(want) != len(got):
        failures.append(f"{name}: {len(got)} rows, the JSONL export has {len(want)}")
        return
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            failures.append(f"{name}: row {i} differs in {keys}: {[a.get(k) for k in keys]} vs {[b.get(k) for k in keys]}")
            return


def check(receval, dataset, work, failures):
    import duckdb
    import pyarrow.parquet as pq

    for table in ("exposures", "outcomes", "assignments"):
        jl = os.path.join(work, f"{table}.jsonl")
        pqf = os.path.join(work, f"{table}.parquet")
        subprocess.run([receval, "export", dataset, "--table", table, "-o", jl], check=True)
        subprocess.run([receval, "export", dataset, "--table", table, "--format", "parquet", "-o", pqf], check=True)
        with open(jl, encoding="utf-8") as f:
            want = [from_jsonl(table, json.loads(line)) for line in f]
        meta = pq.ParquetFile(pqf).metadata
        for g in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                col = meta.row_group(g).column(c)
                if col.compression != "ZSTD" or not col.is_stats_set:
                    failures.append(f"{dataset} {table}: column {col.path_in_schema} is {col.compression}, statistics {col.is_stats_set}")
        got = [from_parquet(table, r) for r in pq.read_table(pqf).to_pylist()]
        compare(f"{dataset} {table} (pyarrow)", want, got, failures)
        con = duckdb.connect()
        rel = con.execute(f"SELECT * FROM read_parquet('{pqf}')")
        names = [d[0] for d in rel.description]
        got = [from_parquet(table, dict(zip(names, r))) for r in rel.fetchall()]
        compare(f"{dataset} {table} (DuckDB)", want, got, failures)
        if table == "exposures":
            items = os.path.join(work, "items.parquet")
            subprocess.run([receval, "export", dataset, "--table", table, "--format", "parquet", "--layout", "items", "-o", items],
                           check=True)
            flat = []
            for r in want:
                for k, i in enumerate(r["items"]):
                    row = {key: r[key] for key in r if key != "items"}
                    row.update(i)
                    row["position"] = k + 1
                    row["item_count"] = len(r["items"])
                    flat.append(row)
            got = []
            for r in pq.read_table(items).to_pylist():
                r = dict(r)
                r["extra"] = json.loads(r["extra"]) if r.get("extra") is not None else None
                got.append(from_parquet(table, r))
            compare(f"{dataset} exposures, items layout (pyarrow)", flat, got, failures)
            n = con.execute(f"SELECT count(*), sum(rank) FROM read_parquet('{items}')").fetchone()
            if n != (len(flat), sum(r["rank"] for r in flat)):
                failures.append(f"{dataset} items layout (DuckDB): {n} vs {len(flat)} rows")
        print(f"{dataset} {table}: {len(want)} rows equal in pyarrow and DuckDB", file=sys.stderr)


def semantic(rec):
    """A record as what it means: the instant of ts (offsets are a writer's choice: DuckDB and
    pyarrow keep the instant only), members that are present, context as a mapping."""
    out = {k: v for k, v in rec.items() if v is not None and k not in ("ts", "items", "context")}
    micros, nanos, _ = instant(rec["ts"])
    out["ts"] = (micros, nanos)
    if rec.get("items") is not None:
        out["items"] = [{k: v for k, v in i.items() if v is not None} for i in rec["items"]]
    if rec.get("context") is not None:
        out["context"] = dict(rec["context"])
    return out


def check_ingest(receval, work, failures):
    """`receval ingest` of Parquet: receval's own export, DuckDB's (zstd, MAP contexts,
    TIMESTAMPTZ) and pyarrow's (snappy, struct contexts) give the records they came from."""
    import duckdb
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    # receval's export, read back: the same JSONL export, byte for byte.
    src = f"{work}/d.rcv"
    pqs = {}
    for t in ("exposures", "outcomes", "assignments"):
        pqs[t] = f"{work}/rt-{t}.parquet"
        subprocess.run([receval, "export", src, "--table", t, "--format", "parquet", "-o", pqs[t]], check=True)
    subprocess.run([receval, "ingest", "-o", f"{work}/rt.rcv", "--quiet", "--max-reject-rate", "0"]
                   + [x for t in pqs for x in (f"--{t}", pqs[t])], check=True)
    for t in pqs:
        a = subprocess.run([receval, "export", src, "--table", t], check=True, capture_output=True).stdout
        b = subprocess.run([receval, "export", f"{work}/rt.rcv", "--table", t], check=True, capture_output=True).stdout
        if a != b:
            failures.append(f"receval Parquet -> ingest: {t} differs from the dataset it came from")
        else:
            print(f"receval Parquet {t} ingests to the same records", file=sys.stderr)

    logs = f"{work}/plain"
    subprocess.run([receval, "gen", "--exposures", "1500", "--seed", "4", "--out", logs], check=True, capture_output=True)
    columns = {
        "exposures": "{'request_id': 'VARCHAR', 'user_id': 'VARCHAR', 'ts': 'TIMESTAMPTZ', "
                     "'items': 'STRUCT(item_id VARCHAR, rank BIGINT, propensity DOUBLE)[]', "
                     "'context': 'MAP(VARCHAR, VARCHAR)', 'latency_ms': 'DOUBLE', 'error': 'BOOLEAN'}",
        "outcomes": "{'request_id': 'VARCHAR', 'user_id': 'VARCHAR', 'item_id': 'VARCHAR', 'event_type': 'VARCHAR', "
                    "'value': 'DOUBLE', 'ts': 'TIMESTAMPTZ'}",
        "assignments": "{'request_id': 'VARCHAR', 'user_id': 'VARCHAR', 'experiment_id': 'VARCHAR', 'variant': 'VARCHAR', "
                       "'ts': 'TIMESTAMPTZ', 'context': 'MAP(VARCHAR, VARCHAR)'}",
    }
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    writers = {}
    for t, cols in columns.items():
        f = f"{work}/duckdb-{t}.parquet"
        con.execute(f"COPY (SELECT * FROM read_json('{logs}/{t}.jsonl', columns={cols})) TO '{f}' (FORMAT parquet, COMPRESSION zstd)")
        writers.setdefault("DuckDB (zstd, MAP, TIMESTAMPTZ)", {})[t] = f
        # Parquet v2 from DuckDB: DELTA_BINARY_PACKED integers, DELTA_LENGTH_BYTE_ARRAY strings.
        f2 = f"{work}/duckdb-v2-{t}.parquet"
        con.execute(f"COPY (SELECT * FROM read_json('{logs}/{t}.jsonl', columns={cols})) TO '{f2}' "
                    "(FORMAT parquet, COMPRESSION snappy, PARQUET_VERSION V2)")
        writers.setdefault("DuckDB v2 (snappy, DELTA encodings)", {})[t] = f2
        g = f"{work}/pyarrow-{t}.parquet"
        table = pj.read_json(f"{logs}/{t}.jsonl")
        pq.write_table(table, g, compression="snappy")
        writers.setdefault("pyarrow (snappy, structs)", {})[t] = g
        # Data page v2, no dictionaries, the DELTA encodings, gzip and lz4_raw.
        h = f"{work}/pyarrow-v2-{t}.parquet"
        delta = {c: ("DELTA_BYTE_ARRAY" if c == "request_id" else "DELTA_LENGTH_BYTE_ARRAY") for c in ("request_id", "user_id")}
        pq.write_table(table, h, compression="gzip" if t == "exposures" else "lz4", data_page_version="2.0", use_dictionary=False,
                       column_encoding=delta, data_page_size=4096)
        writers.setdefault("pyarrow (page v2, DELTA, gzip/lz4_raw)", {})[t] = h
    # A rejected row is named by its Parquet file, row group and row.
    bad = f"{work}/bad-outcomes.parquet"
    rows = [json.loads(line) for line in open(f"{logs}/outcomes.jsonl", encoding="utf-8")][:6]
    rows[4]["event_type"] = None  # required: ingest rejects it
    import pyarrow as pa
    pq.write_table(pa.Table.from_pylist(rows), bad, row_group_size=3)
    rej = f"{work}/bad.rejects.jsonl"
    subprocess.run([receval, "ingest", "-o", f"{work}/bad.rcv", "--quiet", "--max-reject-rate", "1", "--rejects", rej,
                    "--exposures", f"{logs}/exposures.jsonl", "--outcomes", bad], check=True)
    got = [json.loads(line) for line in open(rej, encoding="utf-8")]
    if len(got) != 1 or got[0]["source"] != bad or got[0]["line"] != 5 or got[0].get("row_group") != 1 \
            or got[0].get("row_in_group") != 2 or "row group 1, row 2" not in got[0]["reason"]:
        failures.append(f"a rejected Parquet row is not named by file, row group and row: {got}")
    else:
        print("a rejected Parquet row names its file, row group and row", file=sys.stderr)
    for name, files in writers.items():
        out = f"{work}/{name.split()[0]}-{len(name)}.rcv"
        subprocess.run([receval, "ingest", "-o", out, "--quiet", "--max-reject-rate", "0"]
                       + [x for t in files for x in (f"--{t}", files[t])], check=True)
        for t in files:
            with open(f"{logs}/{t}.jsonl", encoding="utf-8") as f:
                want = [semantic(json.loads(line)) for line in f if line.strip()]
            text = subprocess.run([receval, "export", out, "--table", t], check=True, capture_output=True, text=True).stdout
            got = [semantic(json.loads(line)) for line in text.splitlines()]
            key = lambda r: (r.get("request_id", ""), r["ts"], json.dumps(r, sort_keys=True))
            if sorted(want, key=key) != sorted(got, key=key):
                diff = next(((a, b) for a, b in zip(sorted(want, key=key), sorted(got, key=key)) if a != b), (len(want), len(got)))
                failures.append(f"{name} Parquet -> ingest: {t} differs: {str(diff)[:600]}")
            else:
                print(f"{name} Parquet {t}: {len(got)} records as in the JSONL", file=sys.stderr)


def main():
    receval = os.environ.get("RECEVAL") or ".build/debug/receval"
    failures = []
    with tempfile.TemporaryDirectory(prefix="receval-parquet-") as work:
        subprocess.run([receval, "gen", "--exposures", "3000", "--seed", "17", "--all-fields", "--out", f"{work}/logs"],
                       check=True, capture_output=True)
        dataset = f"{work}/d.rcv"
        subprocess.run([receval, "ingest", "-o", dataset, "--partitions", "3", "--max-reject-rate", "1", "--quiet",
                        "--exposures", f"{work}/logs/exposures.jsonl", "--outcomes", f"{work}/logs/outcomes.jsonl",
                        "--assignments", f"{work}/logs/assignments.jsonl"], check=True)
        # Edge cases generated logs lack: an empty item list, nanoseconds and negative offsets,
        # -0, huge ranks, ids that are not ASCII, an empty context value, absent fields.
        edge = f"{work}/edge"
        os.makedirs(edge)
        with open(f"{edge}/exposures.jsonl", "w", encoding="utf-8") as f:
            f.write(json.dumps({"request_id": "r1", "user_id": "ü\u00e9", "ts": "2026-01-01T00:00:00.123456789-03:30", "items": []}) + "\n")
            f.write(json.dumps({"request_id": "r2", "user_id": "u2", "ts": "1999-12-31T23:59:59.999999999Z",
                                "items": [{"item_id": "日本", "rank": 9007199254740993, "propensity": -0.0, "note": {"x": [1, "y"]}},
                                          {"item_id": "", "rank": -5, "target_propensity": 1e-300}],
                                "context": {"k": "", "é": "v"}, "latency_ms": 0.5, "error": True}) + "\n")
        with open(f"{edge}/outcomes.jsonl", "w", encoding="utf-8") as f:
            f.write(json.dumps({"request_id": "r2", "user_id": "u2", "item_id": "日本", "event_type": "Click", "ts": "2026-01-01T00:00:01+14:00"}) + "\n")
        with open(f"{edge}/assignments.jsonl", "w", encoding="utf-8") as f:
            f.write(json.dumps({"experiment_id": "e", "variant": "", "request_id": "r1", "user_id": "u1", "ts": "2026-01-01T00:00:00Z"}) + "\n")
        subprocess.run([receval, "ingest", "-o", f"{edge}/d.rcv", "--contract", "recsys-eval-runtime", "--quiet",
                        "--exposures", f"{edge}/exposures.jsonl", "--outcomes", f"{edge}/outcomes.jsonl",
                        "--assignments", f"{edge}/assignments.jsonl"], check=True)
        # recsys-eval's fixtures (Tests/IngestTests/Fixtures/recsys-eval), as the runtime reads them.
        fixtures = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "Tests", "IngestTests", "Fixtures", "recsys-eval")
        extra = []
        for name in sorted(os.listdir(fixtures)) if os.path.isdir(fixtures) else []:
            folder = os.path.join(fixtures, name)
            if not os.path.exists(os.path.join(folder, "exposures.jsonl")):
                continue
            out = f"{work}/fixture-{name}.rcv"
            cmd = [receval, "ingest", "-o", out, "--contract", "recsys-eval-runtime", "--quiet", "--max-reject-rate", "1"]
            for t in ("exposures", "outcomes", "assignments"):
                if os.path.exists(os.path.join(folder, f"{t}.jsonl")):
                    cmd += [f"--{t}", os.path.join(folder, f"{t}.jsonl")]
            subprocess.run(cmd, check=True)
            extra.append(out)
        for d in [dataset, f"{edge}/d.rcv"] + extra + sys.argv[1:]:
            check(receval, d, work, failures)
        check_ingest(receval, work, failures)
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
