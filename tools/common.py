"""Helpers shared by the benchmark scripts in tools/bench/.

A script imports it with the tools/ folder put first on sys.path, which works from any working
directory:

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import common
"""
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TOOLS_DIR)
TABLE_NAMES = ("exposures", "outcomes", "assignments")
# Written next to generated JSONL; tools/bench/ingest.py and tools/bench/join.py share the data.
MARKER = ".bench-data.json"

# Column types for DuckDB's read_json of the generated logs (tools/bench/ingest.py, tools/bench/join.py).
EXPOSURE_COLS = {
    "request_id": "VARCHAR", "user_id": "VARCHAR", "ts": "TIMESTAMP",
    "items": "STRUCT(item_id VARCHAR, rank INTEGER, propensity DOUBLE)[]",
    "context": "STRUCT(tenant_id VARCHAR, surface VARCHAR, device VARCHAR, locale VARCHAR)",
    "latency_ms": "DOUBLE", "error": "BOOLEAN",
}
OUTCOME_COLS = {"request_id": "VARCHAR", "user_id": "VARCHAR", "item_id": "VARCHAR",
                "event_type": "VARCHAR", "value": "DOUBLE", "ts": "TIMESTAMP"}
ASSIGN_COLS = {"request_id": "VARCHAR", "user_id": "VARCHAR", "experiment_id": "VARCHAR",
               "variant": "VARCHAR", "ts": "TIMESTAMP"}
DUCKDB_TABLES = {"exposures": EXPOSURE_COLS, "outcomes": OUTCOME_COLS, "assignments": ASSIGN_COLS}


# ----------------------------------------------------------------------------------------------
# small things


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def loadavg():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def fmt_load(la):
    return "n/a" if la is None else " ".join(f"{x:.2f}" for x in la)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(16 << 20), b""):
            n += b.count(b"\n")
    return n


def warm_page_cache(paths):
    for path in paths:
        with open(path, "rb") as f:
            while f.read(16 << 20):
                pass


def write_json_atomic(path, obj):
    """json.dump(obj, indent=1) to path + ".tmp", then renamed over path."""
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(path + ".tmp", path)


def sql_str(s):
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def duckdb_reader(path, cols):
    """DuckDB's read_json of a JSONL file with explicit column types."""
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in cols.items()) + "}"
    return f"read_json({sql_str(path)}, format='newline_delimited', columns={spec})"


# ----------------------------------------------------------------------------------------------
# the receval binary


def build_receval(stdout=None):
    """`swift build -c release --product receval` in the repository; returns the binary's path."""
    subprocess.run(["swift", "build", "-c", "release", "--product", "receval"], cwd=REPO_ROOT,
                   stdout=stdout, check=True)
    bindir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(bindir, "receval")


def resolve_receval(path):
    """--receval PATH, else a release build. Returns (absolute path, built here)."""
    if path:
        if not os.access(path, os.X_OK):
            sys.exit(f"--receval {path}: not an executable file")
        return os.path.abspath(path), False
    log("building: swift build -c release --product receval")
    return build_receval(stdout=sys.stderr), True


def private_copy(src, dst):
    """Copies the binary to dst (so a rebuild of src during the run cannot change what is measured);
    returns dst's sha256."""
    shutil.copy2(src, dst + ".tmp")
    os.replace(dst + ".tmp", dst)
    return sha256_file(dst)


def git_state():
    """(short HEAD revision or None, worktree has tracked changes) of this repository."""
    git_rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True).stdout.strip() or None
    git_dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                                    capture_output=True, text=True).stdout.strip())
    return git_rev, git_dirty


def machine_info(cpus):
    return {"cpus_online": os.cpu_count(), "cpus_pinned": sorted(cpus), "platform": platform.platform(),
            "python": platform.python_version(),
            "mem_total_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")}


def pinned_cpus(threads):
    """The first `threads` CPUs this process may run on. Returns (that set, all available CPUs)."""
    avail = sorted(os.sched_getaffinity(0))
    return set(avail[:threads]), avail


# ----------------------------------------------------------------------------------------------
# data


def cached_jsonl(data_dir, n, seed):
    """The MARKER of DIR when its JSONL were generated for (n, seed) and still have their sizes, else None."""
    mpath = os.path.join(data_dir, MARKER)
    if not os.path.exists(mpath):
        return None
    try:
        with open(mpath) as f:
            m = json.load(f)
    except (OSError, ValueError):
        return None
    if m.get("exposures") != n or m.get("seed") != seed:
        return None
    for t in TABLE_NAMES:
        p = os.path.join(data_dir, f"{t}.jsonl")
        if not os.path.exists(p) or os.path.getsize(p) != m.get("bytes", {}).get(t):
            return None
    return m


def generate_jsonl(data_dir, n, seed, receval, message):
    """`receval gen --exposures N --seed S --out DIR`, then writes DIR's MARKER. message(cmd) is logged first.
    Returns the marker."""
    mpath = os.path.join(data_dir, MARKER)
    if os.path.exists(mpath):
        os.remove(mpath)
    generator = "receval gen"
    cmd = [receval, "gen", "--exposures", str(n), "--seed", str(seed), "--out", data_dir]
    log(message(cmd))
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    gen_s = time.perf_counter() - t0
    m = {"exposures": n, "seed": seed, "generator": generator, "generator_cmd": cmd, "gen_seconds": gen_s,
         "bytes": {t: os.path.getsize(os.path.join(data_dir, f"{t}.jsonl")) for t in TABLE_NAMES},
         "lines": {t: count_lines(os.path.join(data_dir, f"{t}.jsonl")) for t in TABLE_NAMES},
         "generated_at": datetime.datetime.now().isoformat(timespec="seconds")}
    write_json_atomic(mpath, m)
    return m


def ingest_cmd(receval, data_dir, dataset, threads):
    """`receval ingest` of DIR/{exposures,outcomes,assignments}.jsonl into one dataset file."""
    return [receval, "ingest",
            "--exposures", os.path.join(data_dir, "exposures.jsonl"),
            "--outcomes", os.path.join(data_dir, "outcomes.jsonl"),
            "--assignments", os.path.join(data_dir, "assignments.jsonl"),
            "-o", dataset, "--threads", str(threads)]


def write_dataset_yaml(path, dataset):
    """A dataset yaml naming one receval dataset file for every table."""
    with open(path, "w") as f:
        f.write("".join(f"{t}: {{type: receval, path: {dataset}}}\n" for t in TABLE_NAMES))


# ----------------------------------------------------------------------------------------------
# measured child processes

GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_pinned(cmd, cpus, scratch, prefix="", env=None, cwd=None, gnu_time=False):
    """Runs cmd as a fresh process pinned to cpus, its stdout and stderr going to files in scratch
    (named with prefix), under `GNU time -v` when gnu_time is set and /usr/bin/time exists.

    Returns (rc, stdout, stderr, wall_s, rusage, gnu_time_text); wall_s is measured here, rusage is
    wait4's, gnu_time_text is None when GNU time was not used or wrote nothing."""
    def pin():
        if cpus:
            os.sched_setaffinity(0, cpus)

    out_path = os.path.join(scratch, f"{prefix}stdout-{os.getpid()}.txt")
    err_path = os.path.join(scratch, f"{prefix}stderr-{os.getpid()}.txt")
    time_path = os.path.join(scratch, f"{prefix}time-{os.getpid()}.txt")
    use_time = bool(gnu_time and GNU_TIME)
    full = ([GNU_TIME, "-v", "-o", time_path] if use_time else []) + list(cmd)
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, cwd=cwd, preexec_fn=pin,
                             env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    with open(out_path, errors="replace") as f:
        out = f.read()
    with open(err_path, errors="replace") as f:
        err = f.read()
    ttxt = None
    if use_time and os.path.exists(time_path):
        with open(time_path, errors="replace") as f:
            ttxt = f.read()
    return rc, out, err, wall, ru, ttxt


def parse_gnu_time(text):
    """The fields of `GNU time -v` output: wall_s, user_s, sys_s, peak_rss_kb, cpu_percent, involuntary_cs
    (those present)."""
    out = {}
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    if m:
        parts = [float(x) for x in m.group(1).split(":")]
        s = 0.0
        for p in parts:
            s = s * 60 + p
        out["wall_s"] = s
    for key, pat in (("user_s", r"User time \(seconds\): (\S+)"), ("sys_s", r"System time \(seconds\): (\S+)"),
                     ("peak_rss_kb", r"Maximum resident set size \(kbytes\): (\d+)"),
                     ("cpu_percent", r"Percent of CPU this job got: (\d+)%"),
                     ("involuntary_cs", r"Involuntary context switches: (\d+)")):
        m = re.search(pat, text)
        if m:
            out[key] = float(m.group(1))
    return out


def result_line(out):
    """The JSON of a worker's last `RESULT {...}` stdout line, or None."""
    m = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    return json.loads(m[-1][len("RESULT "):]) if m else None
