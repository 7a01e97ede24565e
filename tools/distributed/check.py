#!/usr/bin/env python3
"""Checks the Spark and Ray recipes against one box, on generated logs (run by tools/test.sh).

For an experiment (user bootstrap, segments, CUPED), for OPE (fitted reward model, segments,
user bootstrap) and for a monitor (windows by model version, a breached SLO, fairness, drift): the report of tools/spark/evaluate.py (local mode) and of tools/ray/evaluate.py
(a local Ray cluster) must equal `receval ingest` + `receval run` on one box, key for key and
value for value, except run_id, created_at, input_dataset_fingerprint and effective_config (which
name the shards' datasets); and the recipes' ingest counts (read, written, rejected per table,
with malformed lines in the logs) must equal the single ingest's, and their exit status the single
run's (the monitor's 4 for a breach included).

    RECEVAL=.build/debug/receval python3 tools/distributed/check.py [--only spark|ray]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import shards  # noqa: E402

EXPERIMENT = """mode: experiment
experiment:
  experiment_id: exp_1
  control_variant: control
  primary_metrics: [ctr, conversion_rate]
  slice_keys: [surface]
  cuped: {enabled: true, covariate_key: session}
  srm: {enabled: true, slice_keys: [tenant_id]}
  analysis: {bootstrap: {enabled: true, iterations: 100, seed: 9}}
"""
OPE = """mode: ope
ope:
  reward_event: click
  unit: request
  clipping: 10
  enable_snips: true
  enable_dr: true
  analysis: {reward: click, reward_model: fitted, slice_keys: [surface], bootstrap: {enabled: true, iterations: 50, seed: 3}}
"""
MONITOR = """mode: monitor
monitor:
  window: 6h
  group_by: [model_version]
  slo: {latency_p95_ms: 130}
  fairness: {key: device, metric: ctr}
  drift: {reference: first, keys: [surface], items: true}
  exploration: {context_key: exploration}
"""
IGNORED = {"run_id", "created_at", "input_dataset_fingerprint", "effective_config"}
COUNTS = re.compile(r"(exposures|outcomes|assignments)\s+read (\d+), written (\d+), rejected (\d+)")


def differences(a, b, path=""):
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} vs {type(b).__name__}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if not path and k in IGNORED:
                continue
            if k not in a or k not in b:
                out.append(f"{path}/{k}: on one side only")
            else:
                out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} entries"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def counts(text):
    return {m.group(1): tuple(int(x) for x in m.groups()[1:]) for m in COUNTS.finditer(text)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["spark", "ray"])
    parser.add_argument("--exposures", type=int, default=4000)
    args = parser.parse_args()
    receval = shards.receval_binary(os.environ.get("RECEVAL") or os.path.join(shards.REPO_ROOT, ".build", "debug", "receval"))
    env = dict(os.environ, RECEVAL=receval)
    failures = []
    with tempfile.TemporaryDirectory(prefix="receval-recipes-") as tmp:
        subprocess.run([receval, "gen", "--exposures", str(args.exposures), "--seed", "21", "--all-fields",
                        "--malformed-rate", "0.002", "--monitor-fields", "--out", f"{tmp}/logs"], check=True, capture_output=True)
        with open(f"{tmp}/jsonl.yaml", "w") as f:
            for t in shards.TABLES:
                f.write(f"{t}: {{type: jsonl, path: logs/{t}.jsonl}}\n")
        ingest = subprocess.run([receval, "ingest", "-o", f"{tmp}/d.rcv", "--contract", "recsys-eval-runtime",
                                 "--max-reject-rate", "1", "--rejects", f"{tmp}/one.rejects.jsonl"]
                                + [x for t in shards.TABLES for x in (f"--{t}", f"{tmp}/logs/{t}.jsonl")],
                                capture_output=True, text=True, check=True)
        single_counts = counts(ingest.stderr)
        if not any(c[2] for c in single_counts.values()):
            failures.append("the generated logs hold no malformed line: the reject accounting is not exercised")
        with open(f"{tmp}/d.yaml", "w") as f:
            for t in shards.TABLES:
                f.write(f"{t}: {{type: receval, path: d.rcv}}\n")
        for name, text in [("experiment", EXPERIMENT), ("ope", OPE), ("monitor", MONITOR)]:
            config = f"{tmp}/{name}.yaml"
            with open(config, "w") as f:
                f.write(text)
            single = f"{tmp}/{name}-one.json"
            done = subprocess.run([receval, "run", "--dataset", f"{tmp}/d.yaml", "--config", config, "--output", single,
                                   "--quiet"], capture_output=True, text=True)
            if done.returncode not in (0, 2, 4):
                raise SystemExit(f"single-box {name} run failed: {done.stderr}")
            if name == "monitor" and done.returncode != 4:
                failures.append(f"the single-box monitor run exited {done.returncode}: its SLO breach is not exercised")
            for engine in ["spark", "ray"]:
                if args.only and engine != args.only:
                    continue
                out = f"{tmp}/{name}-{engine}.json"
                run = subprocess.run([sys.executable, os.path.join(TOOLS, engine, "evaluate.py"), "--dataset",
                                      f"{tmp}/jsonl.yaml", "--config", config, "--output", out, "--partitions", "3"],
                                     capture_output=True, text=True, env=env)
                if run.returncode != done.returncode or not os.path.exists(out):
                    failures.append(f"{engine} {name}: exit {run.returncode} (one box {done.returncode}): {run.stderr[-2000:]}")
                    continue
                got = counts(run.stderr)
                if got != single_counts:
                    failures.append(f"{engine} {name}: ingest counts {got} vs one box {single_counts}")
                with open(single) as a, open(out) as b:
                    diff = differences(json.load(a), json.load(b))
                if diff:
                    failures.append(f"{engine} {name}: report differs from one box: " + "; ".join(diff[:8]))
                else:
                    print(f"{engine} {name}: equal to one box (3 shards; ingest {got})", file=sys.stderr)
    if failures:
        for f in failures:
            print("FAIL " + f, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
