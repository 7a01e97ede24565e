#!/usr/bin/env bash
# The quick start: builds receval, generates a small deterministic sample of logs (with a few
# malformed lines), ingests it, inspects the dataset, exports rows back, joins the three tables
# (join statistics and click-through per variant), runs an offline evaluation and an A/B
# experiment analysis with a decision (HTML report with a forest plot), an off-policy evaluation, a
# monitor report (SLIs per hour and model version with SLOs, fairness and drift), and validates a file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
swift build -c release --product receval >&2
bin="$(swift build -c release --show-bin-path)/receval"
work="${DEMO_DIR:-$(mktemp -d)}"
echo "== generating sample logs in $work/logs (20,000 exposures, 0.2% malformed lines)"
"$bin" gen --exposures 20000 --seed 42 --malformed-rate 0.002 --all-fields --out "$work/logs"
echo "== ingest"
"$bin" ingest --exposures "$work/logs/exposures.jsonl" --outcomes "$work/logs/outcomes.jsonl" \
  --assignments "$work/logs/assignments.jsonl" -o "$work/sample.rcv" --max-reject-rate 0.01
echo "== first rejected line"
head -n 1 "$work/sample.rcv.rejects.jsonl"
echo "== inspect"
"$bin" inspect "$work/sample.rcv"
echo "== export (first 2 exposures)"
"$bin" export "$work/sample.rcv" --table exposures | head -n 2 | cut -c1-240
echo "== data quality: join rates overall and by surface and device"
"$bin" quality "$work/sample.rcv" --slice surface,device --experiment exp_1
echo "== offline evaluation with a recsys-eval config (report.v1 JSON)"
cat > "$work/dataset.yaml" <<YAML
exposures: {type: receval, path: sample.rcv}
outcomes: {type: receval, path: sample.rcv}
YAML
cat > "$work/eval.yaml" <<'YAML'
mode: offline
offline:
  metrics:
    - {name: precision, k: 10}
    - {name: recall, k: 10}
    - {name: ndcg, k: 10}
    - {name: coverage, k: 10}
  slice_keys: [surface]
YAML
"$bin" run --dataset "$work/dataset.yaml" --config "$work/eval.yaml" --output "$work/report.json"
head -c 1200 "$work/report.json"; echo " ..."
echo "== experiment: recsys-eval's request-level keys plus the analysis at the user level, and a decision"
cat > "$work/experiment.yaml" <<'YAML'
mode: experiment
experiment:
  experiment_id: exp_1
  control_variant: control
  primary_metrics: [ctr]
  slice_keys: [surface]
  guardrails: {max_latency_p95_ms: 400, non_inferiority: {error_rate: 0.5}}
  srm: {enabled: true}
  analysis: {bootstrap: {enabled: true, iterations: 1000}}
  decision: {enabled: true}
YAML
cat > "$work/dataset-ab.yaml" <<YAML
exposures: {type: receval, path: sample.rcv}
outcomes: {type: receval, path: sample.rcv}
assignments: {type: receval, path: sample.rcv}
YAML
status=0
"$bin" run --dataset "$work/dataset-ab.yaml" --config "$work/experiment.yaml" --output "$work/experiment.html" \
  --output-format html || status=$?
"$bin" run --dataset "$work/dataset-ab.yaml" --config "$work/experiment.yaml" --output "$work/experiment.json" || status=$?
echo "exit code $status (0 ship, 2 hold or inconclusive, 3 rollback); decision artifact:"
cat "$work/experiment.json.decision.json"
echo "== off-policy evaluation: recsys-eval's ope keys and receval's estimators with intervals"
cat > "$work/ope.yaml" <<'YAML'
mode: ope
ope:
  reward_event: click
  unit: item
  clipping: 10
  enable_snips: true
  enable_dr: true
  position_discount: log2
  analysis: {slice_keys: [surface], bootstrap: {iterations: 200}}
YAML
# One run, two reports (the page and the JSON); the run prints its warnings on stderr.
"$bin" run --dataset "$work/dataset.yaml" --config "$work/ope.yaml" --output "$work/ope.html" --output "$work/ope.json"
python3 - "$work/ope.json" <<'PY' 2>/dev/null || head -c 800 "$work/ope.json"
import json, sys
r = json.load(open(sys.argv[1]))
for e in r["ope_analysis"]["estimators"]:
    b = e.get("bootstrap", {})
    print(f'{e["name"]:>16} {e["value"]:.6g}  95% CI [{e["absolute"]["lower"]:.6g}, {e["absolute"]["upper"]:.6g}]  bootstrap [{b.get("lower", float("nan")):.6g}, {b.get("upper", float("nan")):.6g}]')
PY
echo "== join and per-variant click-through"
"$bin" bench join "$work/sample.rcv" --experiment exp_1 --repeat 1
echo "== monitor: SLIs per hour and model version, with SLOs, fairness and drift (logs with a canary model v2 whose latencies regressed)"
"$bin" gen --exposures 20000 --seed 42 --monitor-fields --out "$work/monitor-logs"
cat > "$work/monitor-dataset.yaml" <<YAML
exposures: {type: jsonl, path: monitor-logs/exposures.jsonl}
outcomes: {type: jsonl, path: monitor-logs/outcomes.jsonl}
YAML
cat > "$work/monitor.yaml" <<'YAML'
mode: monitor
monitor:
  window: 1h
  group_by: [model_version]
  slo: {latency_p95_ms: 130, error_rate: 0.02, empty_rate: 0.01}
  min_requests: 100
  fairness: {key: device, metric: ctr}
  drift: {reference: first, keys: [surface], items: true}
  exploration: {context_key: exploration}
YAML
status=0
"$bin" run --dataset "$work/monitor-dataset.yaml" --config "$work/monitor.yaml" --output "$work/monitor.html" --output-format html || status=$?
"$bin" run --dataset "$work/monitor-dataset.yaml" --config "$work/monitor.yaml" --output "$work/monitor.md" --output-format markdown >/dev/null 2>&1 || true
echo "exit code $status (0 every objective held, 4 a breach); the report's first screen:"
head -n 18 "$work/monitor.md"
echo "== validate the outcomes file"
"$bin" validate --schema outcome.v1 --input "$work/logs/outcomes.jsonl" --max-errors 3 || true
echo "demo files are in $work"
