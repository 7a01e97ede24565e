#!/usr/bin/env python3
"""Merge benchmark: an evaluation cut into shards (`receval run --shard I/N --state-out`) and
merged (`receval merge`), against one `receval run` over the same dataset, in the same run.

    python3 tools/bench/merge.py --dataset PATH [--shards 64] [--modes offline,experiment,ope]
                                 [--receval PATH] [--threads 2] [--markdown FILE]

For each mode (the configs of tools/bench/scale.py): the single run's wall, CPU and peak RSS;
the N shard runs one after another (their summed wall and CPU, the largest peak RSS, the states'
sizes); for OPE the first rounds, the model merge and the second rounds; and the merge's wall,
CPU and peak RSS. The merged report must equal the single run's (run_id and created_at aside),
else the script fails. On one box the shards run one after another, so their summed time is what
the cluster spreads over its machines; the merge is the part that stays on one.

Timed benchmarks are never part of the unit tests; run this script by hand, -c release.
"""
import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from common import write_dataset_yaml  # noqa: E402
from scale import CONFIGS, MODE_ARGS, receval_binary, timed  # noqa: E402

IGNORED = {"run_id", "created_at"}


def same_report(a, b):
    with open(a) as x, open(b) as y:
        p, q = json.load(x), json.load(y)
    return {k: v for k, v in p.items() if k not in IGNORED} == {k: v for k, v in q.items() if k not in IGNORED}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--shards", type=int, default=64)
    parser.add_argument("--modes", default="offline,experiment,ope")
    parser.add_argument("--receval")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--markdown")
    args = parser.parse_args()
    receval = receval_binary(args.receval)
    rows = []
    with tempfile.TemporaryDirectory(prefix="receval-merge-bench-") as work:
        ds = os.path.join(work, "ds.yaml")
        write_dataset_yaml(ds, os.path.abspath(args.dataset))
        base = ["--threads", str(args.threads), "--quiet"]
        for mode in args.modes.split(","):
            cfg = os.path.join(work, f"{mode}.yaml")
            with open(cfg, "w") as f:
                f.write(CONFIGS[mode])
            extra = MODE_ARGS.get(mode, [])
            single = os.path.join(work, f"{mode}-single.json")
            s_wall, s_cpu, s_rss = timed([receval, "run", "--dataset", ds, "--config", cfg, "--output", single,
                                          "--created-at", "2026-01-01T00:00:00Z"] + extra + base)
            print(f"{mode}: single run {s_wall:.1f} s, {s_cpu:.1f} CPU s, {s_rss / 1024:.0f} MiB", file=sys.stderr)

            def shards(round_args, tag):
                wall = cpu = 0.0
                rss = 0
                paths = []
                for i in range(args.shards):
                    out = os.path.join(work, f"{mode}-{tag}-{i}.state")
                    w, c, r = timed([receval, "run", "--dataset", ds, "--config", cfg, "--shard", f"{i}/{args.shards}",
                                     "--state-out", out] + round_args + extra + base)
                    wall, cpu, rss = wall + w, cpu + c, max(rss, r)
                    paths.append(out)
                return wall, cpu, rss, paths

            r_wall, r_cpu, r_rss, states = shards([], "first")
            model_time = None
            if mode == "ope":
                model = os.path.join(work, "model.state")
                model_time = timed([receval, "merge", "--config", cfg, "--state-out", model] + base + states)
                w2, c2, rss2, states2 = shards(["--state-in", model], "second")
                first_sizes = sum(os.path.getsize(p) for p in states)
                r_wall, r_cpu, r_rss = r_wall + w2, r_cpu + c2, max(r_rss, rss2)
                states = states2
            else:
                first_sizes = 0
            sizes = [os.path.getsize(p) for p in states]
            merged = os.path.join(work, f"{mode}-merged.json")
            m_wall, m_cpu, m_rss = timed([receval, "merge", "--config", cfg, "--output", merged,
                                          "--created-at", "2026-01-01T00:00:00Z"] + extra + base + states)
            equal = same_report(single, merged)
            print(f"{mode}: {args.shards} shards {r_wall:.1f} s ({r_cpu:.1f} CPU s, max {r_rss / 1024:.0f} MiB); "
                  f"states {sum(sizes) / 2**20:.1f} MiB; merge {m_wall:.2f} s, {m_rss / 1024:.0f} MiB; equal: {equal}",
                  file=sys.stderr)
            rows.append((mode, s_wall, s_cpu, s_rss, r_wall, r_cpu, r_rss, sizes, first_sizes, model_time, m_wall, m_cpu, m_rss, equal))
            for p in states:
                os.remove(p)
    lines = [f"dataset {args.dataset}, {args.shards} shards, {args.threads} threads per process", "",
             "| mode | one run | {0} shard runs, summed | largest shard RSS | states ({0}) | merge | merge RSS | merge / one run | report |".format(args.shards),
             "|---|---|---|---|---|---|---|---|---|"]
    for (mode, s_wall, s_cpu, s_rss, r_wall, r_cpu, r_rss, sizes, first_sizes, model_time, m_wall, m_cpu, m_rss, equal) in rows:
        states = f"{sum(sizes) / 2**20:.1f} MiB (mean {sum(sizes) / len(sizes) / 2**20:.2f})"
        if first_sizes:
            states += (f"; first rounds {first_sizes / 2**20:.1f} MiB, merged into the model in {model_time[0]:.2f} s, "
                       f"{model_time[2] / 1024:.0f} MiB")
        lines.append(f"| {mode} | {s_wall:.2f} s, {s_cpu:.1f} CPU s, {s_rss / 1024:.0f} MiB | {r_wall:.1f} s, {r_cpu:.1f} CPU s{' (both rounds)' if first_sizes else ''} | "
                     f"{r_rss / 1024:.0f} MiB | {states} | {m_wall:.2f} s, {m_cpu:.2f} CPU s | {m_rss / 1024:.0f} MiB | "
                     f"{m_wall / s_wall:.2f}x | {'equal' if equal else 'DIFFERENT'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    return 0 if all(r[-1] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
