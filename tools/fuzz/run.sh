#!/usr/bin/env bash
# Coverage-guided fuzzing of the readers of untrusted bytes: the column decoders, whole dataset
# files, the JSONL scanner/parser, state files and Parquet inputs (Sources/receval-fuzz), with libFuzzer and AddressSanitizer
# through the Swift toolchain (`-sanitize=fuzzer,address`).
#
#   bash tools/fuzz/run.sh [SECONDS (3600)] [WORK (/tmp/receval-fuzz)]
#
# Seeds: a small all-fields dataset and its three JSONL files from `receval gen` + `ingest`
# (the JSONL under both contracts), and interleaving rank lists, each prefixed with the byte
# that selects its target (see FuzzTargets.run). The corpus grows in
# WORK/corpus; a crashing input lands in WORK/artifacts and reruns without the fuzzer:
#   swift run receval-fuzz WORK/artifacts/crash-...
# Not part of the tests: it runs for as long as it is given, by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-3600}
work=${2:-/tmp/receval-fuzz}
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts" "$work/logs"

swift build -c release --product receval
swift build -c release --product receval-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DRECEVAL_FUZZ \
  -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld  # gold fails on the sanitizer runtime's debug info

receval=.build/release/receval
if [ ! -e "$work/seeds/.done" ]; then
  "$receval" gen --exposures 40 --seed 7 --all-fields --out "$work/logs" > /dev/null
  "$receval" ingest -o "$work/logs/d.rcv" --exposures "$work/logs/exposures.jsonl" \
    --outcomes "$work/logs/outcomes.jsonl" --assignments "$work/logs/assignments.jsonl" > /dev/null
  seed() { { printf "\\x$(printf %02x "$1")"; cat "$2"; } > "$work/seeds/$3"; }
  seed 1 "$work/logs/d.rcv" dataset
  seed 2 "$work/logs/exposures.jsonl" exposures
  seed 5 "$work/logs/outcomes.jsonl" outcomes
  seed 8 "$work/logs/assignments.jsonl" assignments
  # The same logs under recsys-eval's runtime contract (selectors 11, 14, 17).
  seed 11 "$work/logs/exposures.jsonl" exposures-runtime
  seed 14 "$work/logs/outcomes.jsonl" outcomes-runtime
  seed 17 "$work/logs/assignments.jsonl" assignments-runtime
  printf '{"request_id":"r1","user_id":"u1","ts":"2025-01-01T00:00:00Z","items":["a","b"]}\n{"Request_ID":"r2","items":["","c"],"x":null}\n' \
    > "$work/logs/ranklists.jsonl"
  seed 221 "$work/logs/ranklists.jsonl" ranklists-runtime
  printf 'mode: experiment\nexperiment: {experiment_id: exp_1, control_variant: control, slice_keys: [surface], analysis: {bootstrap: {enabled: true, iterations: 20}}}\n' > "$work/logs/e.yaml"
  printf 'mode: ope\nope: {reward_event: click, analysis: {slice_keys: [surface], bootstrap: {enabled: true, iterations: 20}}}\n' > "$work/logs/o.yaml"
  printf 'mode: offline\noffline: {metrics: [{name: ndcg, k: 5}, {name: coverage, k: 5}], slice_keys: [surface], bootstrap: {enabled: true, iterations: 10}}\n' > "$work/logs/f.yaml"
  printf 'mode: monitor\nmonitor: {window: 6h, group_by: [surface], slo: {latency_p95_ms: 100}, fairness: {key: device}, drift: {keys: [surface], items: true}}\n' > "$work/logs/m.yaml"
  printf 'exposures: {type: receval, path: d.rcv}\noutcomes: {type: receval, path: d.rcv}\nassignments: {type: receval, path: d.rcv}\n' > "$work/logs/d.yaml"
  for c in e o f m; do
    "$receval" run --dataset "$work/logs/d.yaml" --config "$work/logs/$c.yaml" --state-out "$work/logs/$c.state" --quiet
    seed 240 "$work/logs/$c.state" "state-$c"
  done
  "$receval" run --dataset "$work/logs/d.yaml" --config "$work/logs/o.yaml" --state-in "$work/logs/o.state" \
    --state-out "$work/logs/o2.state" --quiet
  seed 240 "$work/logs/o2.state" state-o2
  for t in exposures outcomes assignments; do
    "$receval" export "$work/logs/d.rcv" --table "$t" --format parquet -o "$work/logs/$t.parquet"
    seed 230 "$work/logs/$t.parquet" "parquet-$t"
  done
  printf '\x00\x01\x01\x00\x10\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x12\x34\x56\x78' \
    > "$work/seeds/int32-plain"
  touch "$work/seeds/.done"
fi

# -max_len fits the dataset seed; -timeout flags an input that takes over 10 s (a hang).
.build-fuzz/release/receval-fuzz -max_total_time="$seconds" -max_len=131072 -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" "$work/seeds" 2>&1 | tee "$work/fuzz.log"
