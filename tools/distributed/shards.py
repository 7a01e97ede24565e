"""What the Spark and Ray recipes share: reading a dataset config, routing log lines to shards by
request id, and running receval on one shard's lines (ingest, then the run's state).

An engine (tools/spark/evaluate.py, tools/ray/evaluate.py) only moves data: it reads the JSONL
sources, sends every line of a request to one task (`shard_of`), and hands each task its lines
with their position in the input (`Line`), so the task can write them in input order (the first
exposure of a request wins, and the last assignment, as in one ingest of the files). Each task
ingests its lines into a dataset of its own and writes its state (`run_shard`); the driver
merges the states (`merge`). OPE runs two rounds: the first rounds merge into a model, which
every task's second round reads.

receval itself never reads this module; the recipes need Python 3.9+, PyYAML, and the receval
binary on every worker (`$RECEVAL`, else the release build of this checkout).
"""
import json
import os
import re
import subprocess
import tempfile
import zlib
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(TOOLS_DIR)
TABLES = ("exposures", "outcomes", "assignments")


class Line(NamedTuple):
    """A log line (its bytes, without the newline: a line that is not valid UTF-8 travels as it
    is, for ingest to reject) and where it came from: its table, the input file's position among
    the table's inputs, and its 0-based line index in that file."""

    table: str
    file: int
    index: int
    text: bytes


def receval_binary(explicit: Optional[str] = None) -> str:
    path = explicit or os.environ.get("RECEVAL") or os.path.join(REPO_ROOT, ".build", "release", "receval")
    if not os.access(path, os.X_OK):
        raise SystemExit(f"receval binary not found at {path}: build it (swift build -c release) or set RECEVAL")
    return os.path.abspath(path)


def dataset_sources(config_path: str) -> Dict[str, List[str]]:
    """The JSONL files of each table a dataset config names (paths relative to the config)."""
    import yaml

    with open(config_path) as f:
        doc = yaml.safe_load(f) or {}
    base = os.path.dirname(os.path.abspath(config_path))
    out: Dict[str, List[str]] = {}
    for table in TABLES:
        source = doc.get(table)
        if source is None:
            continue
        kind = str(source.get("type", "")).lower()
        if kind != "jsonl":
            raise SystemExit(
                f"{config_path}: {table} is of type {kind or 'none'}: the recipes read JSONL sources "
                "(a receval dataset is already one box's: run receval with --shard I/N instead)")
        path = source.get("path") or ""
        out[table] = [path if os.path.isabs(path) else os.path.join(base, path)]
    if "exposures" not in out or "outcomes" not in out:
        raise SystemExit(f"{config_path}: the recipes need exposures and outcomes sources")
    return out


def file_lines(data: bytes, path: str) -> Iterable[Tuple[int, bytes]]:
    """The non-blank lines of a file's bytes (gzip or zstd detected by content, as receval ingest
    does), with their 0-based line index; a line ends at \n only, and keeps its bytes."""
    if data[:2] == b"\x1f\x8b":
        import gzip

        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        try:
            import zstandard
        except ImportError:
            raise SystemExit(f"{path} is zstd-compressed: pip install zstandard, or decompress it first")
        # Every frame (concatenated, pzstd and streaming writers write several), as ingest reads them.
        data = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True).decompress(data)
    for index, line in enumerate(data.split(b"\n")):
        # Blank as ingest counts it: only spaces, tabs and a carriage return.
        if line.strip(b" \t\r") != b"":
            yield index, line


_REQUEST_ID = re.compile(r'"request_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def request_id(line: bytes) -> str:
    """The line's request_id, "" when there is none (such a line goes to shard 0, whose ingest
    rejects or counts it like any other)."""
    text = line.decode("utf-8", "surrogateescape")
    try:
        value = json.loads(text)
        rid = value.get("request_id") if isinstance(value, dict) else None
        return rid if isinstance(rid, str) else ""
    except Exception:  # not JSON, nested too deeply, ...: ingest rejects the line in whichever shard
        m = _REQUEST_ID.search(text)
        return m.group(1) if m else ""


def shard_of(rid: str, shards: int) -> int:
    """The shard of a request id: CRC-32 of its UTF-8 bytes modulo the shard count (the same in
    every engine and every process)."""
    # surrogatepass: an id holding an unpaired surrogate escape (or bytes that are not UTF-8) still
    # has bytes to hash, the same in every process.
    return zlib.crc32(rid.encode("utf-8", "surrogatepass")) % shards


class ShardResult(NamedTuple):
    shard: int
    state: bytes
    # Per table: (read, written, rejected).
    counts: Dict[str, Tuple[int, int, int]]
    # Rejected lines as receval wrote them, with source and line mapped back to the inputs.
    rejects: List[dict]


_COUNTS = re.compile(r"^\s+(exposures|outcomes|assignments)\s+read (\d+), written (\d+), rejected (\d+)", re.M)


def run_shard(shard: int, lines: Iterable[Line], receval: str, config: str, sources: Dict[str, List[str]],
              mode: Optional[str] = None, contract: str = "recsys-eval-runtime", model: Optional[bytes] = None,
              workdir: Optional[str] = None) -> ShardResult:
    """Ingests one shard's lines (in input order) and writes its state; `model` is OPE's merged
    first round, for the second round."""
    with tempfile.TemporaryDirectory(prefix=f"receval-shard-{shard}-", dir=workdir) as tmp:
        by_table: Dict[str, List[Line]] = {t: [] for t in sources}
        for line in lines:
            by_table[line.table].append(line)
        files = {}
        origin: Dict[str, List[Line]] = {}
        for table, rows in by_table.items():
            rows.sort(key=lambda r: (r.file, r.index))
            # Named for the shard: two shards with the same lines (both empty, say) are still two
            # datasets, and a shard's dataset is the same in both OPE rounds.
            path = os.path.join(tmp, f"{table}-{shard}.jsonl")
            with open(path, "wb") as f:
                for r in rows:
                    f.write(r.text)
                    f.write(b"\n")
            files[table] = path
            origin[path] = rows
        dataset = os.path.join(tmp, "d.rcv")
        rejects_path = os.path.join(tmp, "rejects.jsonl")
        # Relative input names (run in the task's folder): the dataset records its inputs' names,
        # which must not hold the temporary folder's random name.
        command = [receval, "ingest", "-o", "d.rcv", "--contract", contract, "--rejects", "rejects.jsonl",
                   "--max-reject-rate", "1", "--threads", "1"]
        for table, path in files.items():
            command += [f"--{table}", os.path.basename(path)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=tmp)
        if done.returncode != 0:
            raise RuntimeError(f"shard {shard}: receval ingest failed ({done.returncode}): {done.stderr.strip()}")
        counts = {m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(4))) for m in _COUNTS.finditer(done.stderr)}
        for table, rows in by_table.items():
            read = counts.get(table, (0, 0, 0))[0]
            if read != len(rows):
                raise RuntimeError(f"shard {shard}: ingest read {read} {table} lines of {len(rows)}")
        rejects = []
        if os.path.exists(rejects_path):
            with open(rejects_path, encoding="utf-8") as f:
                for text in f:
                    r = json.loads(text)
                    row = origin.get(os.path.join(tmp, os.path.basename(r.get("source", ""))))
                    if row is not None and 1 <= r.get("line", 0) <= len(row):
                        line = row[r["line"] - 1]
                        r["source"] = sources[line.table][line.file]
                        r["line"] = line.index + 1
                    rejects.append(r)
        spec = os.path.join(tmp, "d.yaml")
        with open(spec, "w") as f:
            for table in files:
                f.write(f"{table}: {{type: receval, path: {json.dumps(dataset)}}}\n")
        state = os.path.join(tmp, "s.state")
        command = [receval, "run", "--dataset", spec, "--config", os.path.abspath(config), "--state-out", state,
                   "--threads", "1", "--quiet"]
        if mode:
            command += ["--mode", mode]
        if model is not None:
            model_path = os.path.join(tmp, "model.state")
            with open(model_path, "wb") as f:
                f.write(model)
            command += ["--state-in", model_path]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"shard {shard}: receval run failed ({done.returncode}): {done.stderr.strip()}")
        with open(state, "rb") as f:
            return ShardResult(shard, f.read(), counts, rejects)


def state_header(state: bytes) -> dict:
    """The JSON header of a state (format-spec/state.md §1)."""
    length = int.from_bytes(state[12:16], "little")
    return json.loads(state[16:16 + length].decode("utf-8"))


def needs_second_round(states: List[bytes]) -> bool:
    return any(state_header(s).get("rounds", 1) > 1 and state_header(s).get("round", 1) == 1 for s in states)


def merge(receval: str, config: str, states: List[bytes], outputs: List[str], mode: Optional[str] = None,
          output_format: Optional[str] = None, model_out: bool = False, workdir: Optional[str] = None):
    """`receval merge` over the states: the report (to `outputs`), or with `model_out` OPE's model
    (returned as bytes). Returns (exit code, model bytes or None)."""
    with tempfile.TemporaryDirectory(prefix="receval-merge-", dir=workdir) as tmp:
        paths = []
        for i, s in enumerate(states):
            p = os.path.join(tmp, f"shard-{i}.state")
            with open(p, "wb") as f:
                f.write(s)
            paths.append(p)
        command = [receval, "merge", "--config", os.path.abspath(config), "--quiet"]
        if mode:
            command += ["--mode", mode]
        model_path = os.path.join(tmp, "model.state")
        if model_out:
            command += ["--state-out", model_path]
        else:
            for o in outputs:
                command += ["--output", o]
            if output_format:
                command += ["--output-format", output_format]
        done = subprocess.run(command + paths)
        if model_out:
            if done.returncode != 0:
                raise RuntimeError(f"receval merge of the first rounds failed ({done.returncode})")
            with open(model_path, "rb") as f:
                return done.returncode, f.read()
        return done.returncode, None


def report_ingest(results: List[ShardResult], rejects_path: Optional[str], max_reject_rate: float) -> bool:
    """Prints what the shards' ingests read, wrote and rejected; writes the rejected lines (with
    their input file and line) to `rejects_path`. False when a table's rejects exceed the rate."""
    import sys

    ok = True
    for table in TABLES:
        read = sum(r.counts.get(table, (0, 0, 0))[0] for r in results)
        written = sum(r.counts.get(table, (0, 0, 0))[1] for r in results)
        rejected = sum(r.counts.get(table, (0, 0, 0))[2] for r in results)
        if read == 0:
            continue
        print(f"ingest: {table} read {read}, written {written}, rejected {rejected}", file=sys.stderr)
        if rejected > max_reject_rate * read:
            print(f"error: {rejected} of {read} {table} lines rejected, more than --max-reject-rate {max_reject_rate}",
                  file=sys.stderr)
            ok = False
    rejects = sorted((r for res in results for r in res.rejects), key=lambda r: (r.get("source", ""), r.get("line", 0)))
    if rejects:
        for r in rejects[:3]:
            print(f"  rejected {r.get('source')}:{r.get('line')}: {r.get('reason')}", file=sys.stderr)
        if rejects_path:
            with open(rejects_path, "w", encoding="utf-8") as f:
                for r in rejects:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            print(f"  every rejected line and its reason: {rejects_path}", file=sys.stderr)
    return ok


def drive(args, receval, run):
    """The rounds of a recipe: `run(model)` runs every shard's task (with OPE's model in the
    second round) and returns their results; the ingest counts are reported, the states merged
    (first rounds into a model, then the report). Returns the exit code."""
    results = run(None)
    if not report_ingest(results, rejects_path(args), args.max_reject_rate):
        return 5
    states = [r.state for r in results]
    if needs_second_round(states):
        _, model = merge(receval, args.config, states, [], mode=args.mode, model_out=True)
        states = [r.state for r in run(model)]
    code, _ = merge(receval, args.config, states, args.output, mode=args.mode, output_format=args.output_format)
    return code


def add_arguments(parser):
    """The flags both recipes take."""
    parser.add_argument("--dataset", required=True, help="dataset config YAML naming JSONL sources")
    parser.add_argument("--config", required=True, help="eval config YAML")
    parser.add_argument("--output", action="append", required=True, help="report file (repeatable)")
    parser.add_argument("--output-format", help="json, markdown or html for outputs without an extension")
    parser.add_argument("--partitions", type=int, default=4, help="shards: tasks that each ingest and scan their requests")
    parser.add_argument("--mode", help="offline, experiment, aa-check, ope, interleaving or monitor (default: the config's)")
    parser.add_argument("--receval", help="receval binary on every worker (default: $RECEVAL or .build/release/receval)")
    parser.add_argument("--contract", default="recsys-eval-runtime", help="ingest contract, as receval run uses for JSONL")
    parser.add_argument("--max-reject-rate", type=float, default=0.05)
    parser.add_argument("--rejects", help="where rejected lines go (default: next to the first output)")


def rejects_path(args) -> Optional[str]:
    if args.rejects:
        return args.rejects
    first = next((o for o in args.output if o != "-"), None)
    if first is None:
        return None
    stem = first.rsplit(".", 1)[0] if "." in os.path.basename(first) else first
    return stem + ".rejects.jsonl"
