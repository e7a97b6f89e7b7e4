#!/usr/bin/env bash
# One round of the default model's recipe v2 (tools/train/retrain.sh --config v2 runs the
# corpus steps first, then this):
#   4. train.py --config v2 --autoregressive on every core, resuming from the committed
#      models/training/v2/stable.pt when there is one (the previous round's weights,
#      AdamW state and data position at the start of its decay), N more steps of which the
#      last --decay decay the learning rate (warmup-stable-decay); the new stable.pt
#      (compact) replaces it, shipped or not: the next round goes on from this one
#   5. infilld (scripts/build.sh)
#   6. HumanEval-Infilling: the new model beside models/default, with the floors
#      (tools/eval/humaneval_infilling.py; single-line tasks all, the others a seeded sample)
#   7. ship only if the new model beats models/default and every floor on the single-line
#      tasks (tools/train/ship_check.py): models/default replaced by a rename, and its
#      card written (the checkpoint stays out of models/default, which is installed)
#
#   tools/train/round_v2.sh [--steps N (default 800)] [--decay N (default N/5)]
#                           [--eval-limit N] [-- more train.py flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
STEPS=800 DECAY="" LIMIT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="$2"; shift 2 ;;
    --decay) DECAY="$2"; shift 2 ;;
    --eval-limit) LIMIT="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "round_v2.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
STATE=models/training/v2/stable.pt OUT=build/model-v2-ar
start=0 resume=()
if [[ -f $STATE ]]; then
  start=$($PY tools/train/checkpoint.py step "$STATE")
  resume=(--resume-from "$STATE")
fi
total=$((start + STEPS))
DECAY=${DECAY:-$((STEPS / 5))}
frac=$($PY -c "print($DECAY / $total)")

echo "== 4. training: steps $start -> $total, the last $DECAY decaying (${resume[*]:-from scratch})"
rm -rf "$OUT" "$OUT.work"
nice $PY tools/train/train.py --config v2 --tokenizer models/default --autoregressive \
    --threads "$(nproc)" --steps "$total" --decay-frac "$frac" "${resume[@]}" \
    --out "$OUT" "$@" 2>&1 | tee "$OUT.log"
$PY tools/train/checkpoint.py compact "$OUT.work/stable.pt" "$STATE"

echo "== 5. infilld"
scripts/build.sh >/dev/null

echo "== 6. evaluation: $OUT beside models/default, with the floors"
R=bench/results/humaneval_infilling_v2_round.json
$PY tools/eval/humaneval_infilling.py --compare models/default "$OUT" --labels shipped,new \
    ${LIMIT:+--limit "$LIMIT"} --out "$R"

echo "== 7. ship"
if ! $PY tools/train/ship_check.py "$R" --old shipped --new new; then
  echo "models/default stays; this round's model is in $OUT"
  exit 0
fi
NEW=models/default.new.$$ OLD=models/default.old.$$
rm -rf "$NEW" && mkdir -p "$NEW"
for f in config.json tokenizer.json tokenizer_config.json model.safetensors training.json loss.csv loss.svg loss.png; do
  [[ -f $OUT/$f ]] && cp "$OUT/$f" "$NEW/"
done
mv models/default "$OLD" && mv "$NEW" models/default  # a running server never sees half a model
$PY tools/train/model_card.py --model models/default --eval "$R"
rm -rf "$OLD"
build/infilld complete --show examples/primes.py:10:9
