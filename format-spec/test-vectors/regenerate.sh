#!/bin/sh
# Rebuilds every test vector from its input/*.jsonl with a receval binary:
#   format-spec/test-vectors/regenerate.sh path/to/receval
# then the mutated files (make_mutations.py) and checks all of them with the reference reader.
# Inputs are given as relative paths so the footer metadata does not depend on the checkout.
set -eu
RECEVAL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)

vector() {  # name, then extra ingest flags
    name=$1
    shift
    cd "$HERE/$name"
    for t in exposures outcomes assignments; do
        if [ -f "input/$t.jsonl" ]; then set -- "$@" "--$t" "input/$t.jsonl"; fi
    done
    rm -f "$name.rcv" "$name.rcv.rejects.jsonl"
    "$RECEVAL" ingest --quiet --threads 1 -o "$name.rcv" "$@"
    rm -f "$name.rcv.rejects.jsonl"
    mkdir -p expected
    for t in exposures outcomes assignments; do
        "$RECEVAL" export "$name.rcv" --table "$t" > "expected/$t.jsonl"
    done
    "$RECEVAL" inspect --json "$name.rcv" > expected/inspect.json
}

vector minimal --codec none
vector basic-none --codec none
vector basic-zstd --codec zstd
vector basic-lz4 --codec lz4
vector partitioned --codec none --partitions 2 --row-group-rows 2
vector edge-cases --codec none --row-group-rows 1

cd "$HERE"
python3 make_mutations.py
python3 ../reference_reader.py --check-vectors .
