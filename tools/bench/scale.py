#!/usr/bin/env python3
"""Scale benchmark: every mode of `receval run` on ingested datasets of growing size, with wall
time, CPU time and peak RSS (GNU time), and a linear extrapolation to a billion exposures.

    python3 tools/bench/scale.py --data DIR [--sizes 1000000,3000000,10000000] [--receval PATH]
                                 [--threads 2] [--runs 1] [--dataset N=PATH ...] [--markdown FILE]
                                 [--run-memory-limit SIZE]

Data: DIR/<N>/d.rcv is made once per size from `receval gen --exposures N --seed 42 --all-fields`
without the logs ever being on disk whole: outcomes and assignments are written as .jsonl.zst
files (`gen --table outcomes --table assignments --compress zstd`, about a tenth of the bytes),
and the exposures go from `gen --table exposures --out -` straight into `receval ingest
--exposures -` through a pipe (the same lines as the files; the small files are deleted after
ingest). A stream's size is unknown to ingest, so the script gives it `--partitions`: the count
ingest would choose for the .jsonl.zst files of the same logs (6x their 293 bytes per exposure,
over 96 MiB or a sixth of the memory limit, whichever is smaller). 100M exposures as files would take 29 GB compressed; this way
the disk holds the 2.8 GB of small files, the dataset (about 15 GB) and the spill (at most about
the dataset's size, returned partition by partition as the dataset is written). `--prep-memory-limit`
is ingest's --memory-limit (default 2G, ingest's default). `--dataset N=PATH` uses an existing dataset instead. Preparing data is never timed.

Interleaving needs team labels, which `gen` writes with --interleaving-teams: run it on such
datasets with `--modes interleaving --dataset N=PATH` (logged team per item, click credit, slice
key surface, a 1,000-replicate user bootstrap).

Modes and configs (generated all-fields logs, experiment exp_1 with variants control/candidate):
  offline      recsys-eval's 1M-comparison config: 8 metrics @10, slice keys tenant_id and surface
  offline+bs   the same with a 200-replicate bootstrap
  experiment   primary ctr and conversion_rate, slices tenant_id and surface, guardrails, SRM,
               a 1,000-replicate user-level bootstrap, decision
  aa-check     the experiment config run with --mode aa-check
  ope          item unit, clipping 10, SNIPS, DR, log2 discount, slice key surface, no bootstrap

The dataset file is read once before each size's runs, so every mode starts from a warm page
cache where the file fits it. Each run is a fresh process; the table shows the median wall and CPU time of --runs runs and the
largest peak RSS, and the 1B time of all modes run one after another. Growth is the ratio between consecutive sizes; the 1B column extrapolates time linearly
from the largest size and memory from the slope between the two largest sizes.

`--run-memory-limit SIZE` passes `--memory-limit SIZE` to every `receval run`: users whose
per-user state exceeds half of it are taken in parts (experiment, aa-check, interleaving, OPE's
bootstrap), so the table shows what parts cost in time and save in memory; without it each run
has the default budget (a quarter of the machine's memory). The Thirteenth-session table of
Benchmarks/README.md: `--sizes 30000000 --modes experiment,aa-check --run-memory-limit 512M`,
against the same without the flag.

Timed benchmarks are never part of the unit tests; run this script by hand, -c release.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import build_receval, warm_page_cache, write_dataset_yaml  # noqa: E402

CONFIGS = {
    "offline": """mode: offline
offline:
  metrics:
    - {name: precision, k: 10}
    - {name: recall, k: 10}
    - {name: map, k: 10}
    - {name: ndcg, k: 10}
    - {name: hitrate, k: 10}
    - {name: coverage, k: 10}
    - {name: novelty, k: 10}
    - {name: diversity, k: 10}
  slice_keys: ["tenant_id", "surface"]
""",
    "experiment": """mode: experiment
experiment:
  experiment_id: "exp_1"
  control_variant: "control"
  primary_metrics: ["ctr", "conversion_rate"]
  slice_keys: ["tenant_id", "surface"]
  guardrails: {max_latency_p95_ms: 150, max_error_rate: 0.01, max_empty_rate: 0.02}
  multiple_comparisons: {method: fdr_bh, alpha: 0.05}
  srm: {enabled: true, alpha: 0.001, min_sample: 100, slice_keys: ["tenant_id"]}
  analysis: {bootstrap: {enabled: true, iterations: 1000}}
  decision: {enabled: true}
""",
    "ope": """mode: ope
ope:
  reward_event: click
  unit: item
  clipping: 10
  enable_snips: true
  enable_dr: true
  position_discount: log2
  analysis: {slice_keys: [surface], bootstrap: {enabled: false}}
""",
}
CONFIGS["interleaving"] = """mode: interleaving
interleaving:
  analysis: {credit: click, team_field: team, slice_keys: [surface], bootstrap: {iterations: 1000, seed: 42}}
"""
CONFIGS["offline+bs"] = CONFIGS["offline"] + "  bootstrap: {enabled: true, iterations: 200, seed: 7}\n"
CONFIGS["aa-check"] = CONFIGS["experiment"] + "  aa_check: {enabled: true}\n"
# Extra flags per mode: aa-check runs the experiment config as an A/A check (same scan, its own verdict).
MODE_ARGS = {"aa-check": ["--mode", "aa-check"]}
MODES = ["offline", "offline+bs", "experiment", "aa-check", "ope", "interleaving"]
# The generated logs carry team labels only with `gen --interleaving-teams`: interleaving runs on
# its own datasets (`--modes interleaving --dataset N=PATH`), not in the default set.
DEFAULT_MODES = MODES[:-1]


def receval_binary(path):
    if path:
        return path
    return build_receval(stdout=sys.stderr)


def parse_size(text):
    """Bytes in a size such as 2G or 512M (powers of 1024, as ingest reads --memory-limit)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    return int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)


def partition_count(input_bytes, memory_limit):
    """IngestJob.partitionCount: the power of two (at most 4096) that gives each partition at most
    96 MiB and a sixth of the memory limit (and at least 16 MiB) of input; beyond 512 partitions,
    only as many as the memory rule needs."""
    def count(target):
        needed = (input_bytes + target - 1) // target
        p = 1
        while p < needed and p < 4096:
            p <<= 1
        return p
    by_memory = count(max(16 << 20, memory_limit // 6))
    by_scan = count(max(16 << 20, min(memory_limit // 6, 96 << 20)))
    return min(by_scan, max(512, by_memory))


# Bytes of .jsonl.zst per generated all-fields exposure, all three tables (1M: 294, 10M: 293.5,
# 100M: 290); ingest estimates six times a zstd file's size as its JSONL.
ZST_BYTES_PER_EXPOSURE = 293


def dataset(binary, data, n, memory_limit):
    folder = os.path.join(data, str(n))
    path = os.path.join(folder, "d.rcv")
    if os.path.exists(path):
        return path
    os.makedirs(folder, exist_ok=True)
    logs = os.path.join(folder, "logs")
    gen = [binary, "gen", "--exposures", str(n), "--seed", "42", "--all-fields"]
    small = [os.path.join(logs, f"{t}.jsonl.zst") for t in ("outcomes", "assignments")]
    subprocess.run(gen + ["--compress", "zstd", "--table", "outcomes", "--table", "assignments", "--out", logs], check=True)
    partitions = partition_count(6 * ZST_BYTES_PER_EXPOSURE * n, parse_size(memory_limit))
    producer = subprocess.Popen(gen + ["--table", "exposures", "--out", "-"], stdout=subprocess.PIPE)
    ingest = subprocess.run(
        [binary, "ingest", "--quiet", "-o", path, "--memory-limit", memory_limit, "--partitions", str(partitions)]
        + ["--exposures", "-", "--outcomes", small[0], "--assignments", small[1]],
        stdin=producer.stdout,
    )
    producer.stdout.close()  # ingest holds the only read end: gen stops if ingest does
    if producer.wait() != 0 or ingest.returncode != 0:
        # A generator that stopped early would leave a dataset missing rows: never keep it.
        if os.path.exists(path):
            os.remove(path)
        raise SystemExit(f"preparing {n:,} exposures failed: gen {producer.returncode}, ingest {ingest.returncode}")
    for f in small:
        os.remove(f)
    return path


def timed(cmd):
    """Wall seconds, CPU seconds and peak RSS (KiB) of one process, from GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as f:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", f.name] + cmd, capture_output=True, text=True)
        if proc.returncode not in (0, 2, 3, 4):  # 2 hold, 3 rollback, 4 a failed A/A check
            raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}:\n{proc.stderr}")
        # GNU time puts "Command exited with non-zero status N" first when the status is not 0
        # (an experiment's hold or rollback); the figures are on the last line.
        wall, user, system, rss = f.read().strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--sizes", default="1000000,3000000")
    ap.add_argument("--receval")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--dataset", action="append", default=[], help="N=PATH: an existing dataset for size N")
    ap.add_argument("--prep-memory-limit", default="2G", help="ingest's --memory-limit when preparing a dataset")
    ap.add_argument("--markdown", help="also write the table here")
    ap.add_argument("--modes", default=",".join(DEFAULT_MODES), help="comma-separated subset of " + ", ".join(MODES))
    ap.add_argument("--run-memory-limit", help="pass --memory-limit SIZE to every receval run (users in parts beyond half of it)")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise SystemExit(f"unknown modes {unknown}; choose from {MODES}")
    binary = receval_binary(args.receval)
    given = {int(k): v for k, v in (d.split("=", 1) for d in args.dataset)}
    sizes = [int(s) for s in args.sizes.split(",")]
    work = os.path.join(args.data, "configs")
    os.makedirs(work, exist_ok=True)
    results = {}
    for n in sizes:
        path = given.get(n) or dataset(binary, args.data, n, args.prep_memory_limit)
        ds = os.path.join(work, f"ds-{n}.yaml")
        write_dataset_yaml(ds, os.path.abspath(path))
        # Every mode starts from a warm page cache (when the dataset fits it): otherwise the
        # first mode of each size also times reading the file from disk.
        warm_page_cache([path])
        for mode in modes:
            cfg = os.path.join(work, f"{mode}.yaml")
            with open(cfg, "w") as f:
                f.write(CONFIGS[mode])
            out = os.path.join(work, f"report-{mode}-{n}.json")
            cmd = [binary, "run", "--quiet", "--dataset", ds, "--config", cfg, "--output", out, "--threads", str(args.threads)]
            cmd += MODE_ARGS.get(mode, [])
            if args.run_memory_limit:
                cmd += ["--memory-limit", args.run_memory_limit]
            runs = [timed(cmd) for _ in range(args.runs)]
            results[(mode, n)] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs))
            w, c, m = results[(mode, n)]
            print(f"{mode:<11} {n:>11,} exposures: {w:7.2f} s wall, {c:7.2f} s CPU, {m / 1024:7.1f} MiB peak", file=sys.stderr)
    lines = ["| mode | " + " | ".join(f"{n:,}" for n in sizes) + " | growth (time, memory) | 1B, extrapolated |", "|---|" + "---|" * (len(sizes) + 2)]
    total_1b = 0.0
    for mode in modes:
        cells = [f"{results[(mode, n)][0]:.2f} s ({results[(mode, n)][1]:.1f} CPU s), {results[(mode, n)][2] / 1024:.0f} MiB" for n in sizes]
        growth = []
        for a, b in zip(sizes, sizes[1:]):
            (ta, _, ma), (tb, _, mb) = results[(mode, a)], results[(mode, b)]
            growth.append(f"x{b / a:g}: {tb / ta:.2f}x, {mb - ma:+.0f} KiB")
        big = sizes[-1]
        t_big, _, m_big = results[(mode, big)]
        t_1b = t_big * 1e9 / big
        m_1b = m_big
        if len(sizes) > 1:
            prev = sizes[-2]
            slope = (m_big - results[(mode, prev)][2]) / (big - prev)
            m_1b = m_big + max(slope, 0) * (1e9 - big)
        total_1b += t_1b
        lines.append(f"| {mode} | " + " | ".join(cells) + f" | {'; '.join(growth) or '-'} | {t_1b / 60:.1f} min, {m_1b / 1024 / 1024:.2f} GiB |")
    lines.append("| all modes, one after another | " + " | ".join("" for _ in sizes) + f" | | {total_1b / 60:.1f} min |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)


if __name__ == "__main__":
    main()
