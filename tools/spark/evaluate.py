#!/usr/bin/env python3
"""receval on Spark: the engine moves the logs, receval computes and merges.

    python3 tools/spark/evaluate.py --dataset D.yaml --config E.yaml --output R.json --partitions N

Spark reads the JSONL sources the dataset config names, keys every line by its request_id and
partitions the lines into N shards by it (every row of a request in one shard), so each task
holds whole requests. Each task writes its lines in input order, ingests them with receval into a
dataset of its own and writes its state (`receval run --state-out`); the driver collects the
states and merges them (`receval merge`) into the report one receval run gives over the logs
ingested on one box (dataset fingerprint and effective_config aside: they name the shards'
datasets). OPE takes two rounds: the tasks' first rounds are merged into a model, broadcast, and
every task runs its second round with it.

Runs in local mode by default (`--master local[2]`); on a cluster give your master and ship the
receval binary to the executors (docs/distributed.md). Needs PySpark, Java 17 and PyYAML.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "distributed"))
import shards  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shards.add_arguments(parser)
    parser.add_argument("--master", default="local[2]", help="Spark master URL (default local[2])")
    args = parser.parse_args()
    if args.partitions < 1:
        raise SystemExit("--partitions must be at least 1")
    receval = shards.receval_binary(args.receval)
    sources = shards.dataset_sources(args.dataset)

    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master(args.master).appName("receval")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", str(args.partitions))
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.addPyFile(shards.__file__)
    try:
        sc = spark.sparkContext
        n = args.partitions
        rdds = []
        for table, paths in sources.items():
            for f, path in enumerate(paths):
                # Each file's bytes, split into lines in the tasks: textFile would decode lines as
                # UTF-8 (replacing what is not UTF-8, so a line ingest rejects could be accepted)
                # and end lines at a lone \r as well. A file is one record: split very large
                # single files into shards first (docs/distributed.md).
                rdds.append(sc.binaryFiles(path)
                            .flatMap(lambda kv: shards.file_lines(kv[1], kv[0]))
                            .map(lambda p, t=table, f=f: (shards.request_id(p[1]), shards.Line(t, f, p[0], p[1]))))
        keyed = sc.union(rdds).partitionBy(n, lambda rid: shards.shard_of(rid, n)).values().persist()
        config, mode, contract = args.config, args.mode, args.contract

        def run(model):
            # The model goes to the executors once, as a broadcast, and each task reads it there.
            shared = sc.broadcast(model) if model is not None else None

            def task(index, lines):
                yield shards.run_shard(index, lines, receval, config, sources, mode=mode, contract=contract,
                                       model=shared.value if shared is not None else None)
            return sorted(keyed.mapPartitionsWithIndex(task).collect(), key=lambda r: r.shard)

        return shards.drive(args, receval, run)
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
