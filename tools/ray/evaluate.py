#!/usr/bin/env python3
"""receval on Ray: the engine moves the logs, receval computes and merges.

    python3 tools/ray/evaluate.py --dataset D.yaml --config E.yaml --output R.json --partitions N

The same recipe as tools/spark/evaluate.py on Ray tasks: a task per input file splits its lines
into N pieces by request_id (every row of a request in one shard), a task per shard takes its
piece of every file, ingests them with receval and writes its state, and the driver merges the
states into the report. OPE takes two rounds (first rounds merged into a model that every second-round task
reads). Starts a local Ray cluster unless `--address` names one. Needs Ray and PyYAML.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "distributed"))
import shards  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shards.add_arguments(parser)
    parser.add_argument("--address", help="Ray cluster address (default: start a local one)")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local cluster")
    args = parser.parse_args()
    if args.partitions < 1:
        raise SystemExit("--partitions must be at least 1")
    receval = shards.receval_binary(args.receval)
    sources = shards.dataset_sources(args.dataset)

    import ray

    # Workers import the shared module from this checkout.
    runtime = {"py_modules": [shards]}
    if args.address:
        ray.init(address=args.address, runtime_env=runtime, log_to_driver=False)
    else:
        ray.init(num_cpus=args.num_cpus, include_dashboard=False, runtime_env=runtime, log_to_driver=False)
    try:
        config, mode, contract = args.config, args.mode, args.contract

        n = args.partitions

        @ray.remote(num_returns=n, max_retries=2)
        def split(table, f, path):
            """One input file's lines (plain, gzip or zstd), routed to their requests' shards."""
            out = [[] for _ in range(n)]
            with open(path, "rb") as file:
                for index, text in shards.file_lines(file.read(), path):
                    out[shards.shard_of(shards.request_id(text), n)].append(shards.Line(table, f, index, text))
            return out if n > 1 else out[0]

        @ray.remote(max_retries=2)
        def task(index, model, *pieces):
            lines = [line for piece in pieces for line in piece]
            return shards.run_shard(index, lines, receval, config, sources, mode=mode, contract=contract, model=model)

        # The shuffle: a task per input file splits it; shard i's task receives piece i of each.
        splits = []
        for table, paths in sources.items():
            for f, path in enumerate(paths):
                refs = split.remote(table, f, path)
                splits.append(refs if n > 1 else [refs])

        def run(model):
            model_ref = ray.put(model)
            tasks = [task.remote(i, model_ref, *[refs[i] for refs in splits]) for i in range(n)]
            return sorted(ray.get(tasks), key=lambda r: r.shard)

        return shards.drive(args, receval, run)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    sys.exit(main())
