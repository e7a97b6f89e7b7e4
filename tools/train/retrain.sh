#!/usr/bin/env bash
# Retrain infilld's default model, start to finish, and install it as models/default:
#   1. the Debian packages the corpus reads (tools/train/corpus_sources.py APT_PACKAGES)
#   2. the corpus (tools/train/corpus.py -> build/corpus; npm packages from the registry)
#   3. the tokenizer (tools/train/tokenizer.py train -> build/tokenizer)
#   4. the diffusion model and its autoregressive baseline, same network, data and steps
#      (tools/train/train.py; on the CPU side by side, a thread each; on a GPU one after
#      the other)
#   5. infilld (scripts/build.sh), then models/default <- the diffusion model
#   6. HumanEval-Infilling for both, side by side, and the diffusion model with parallel
#      decoding (tools/eval/humaneval_infilling.py -> bench/results/)
#   7. the model card (tools/train/model_card.py -> models/default/README.md)
#
#   tools/train/retrain.sh [--config default|gpu|small] [--device cpu|cuda] [--steps N (default: the config's)]
#                          [--eval-limit N] [-- more train.py flags]
# Steps already done are reused: the corpus and tokenizer when their folders exist
# (delete them to rebuild), the tokenized cache when its inputs are unchanged.
#
#   tools/train/retrain.sh --config v2 [--steps N (default 800)] [--decay N (default N/5)]
# One round of recipe v2 (train.py --config v2: autoregressive FIM, warmup-stable-decay):
# it resumes from the committed models/training/v2/stable.pt when there is one (the
# previous round's weights, optimizer and data position before its decay), trains N more
# steps on both cores, the last --decay of them decaying the learning rate, and keeps the
# new stable.pt for the next round. The tokenizer is models/default's (the vocabulary
# stays across rounds). models/default is replaced only when the new model beats it and
# every floor on the single-line tasks (step 6); otherwise it stays, and the round's
# model is left in build/model-v2-ar.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
CONFIG=default DEVICE=cpu STEPS="" LIMIT="" DECAY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) CONFIG="$2"; shift 2 ;;
    --device) DEVICE="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --eval-limit) LIMIT="$2"; shift 2 ;;
    --decay) DECAY="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "retrain.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
DIFF=build/model-$CONFIG AR=build/model-$CONFIG-ar
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo

echo "== 1. packages"
scripts/install_deps.sh
mapfile -t pkgs < <($PY -c "import sys; sys.path.insert(0, 'tools/train'); import corpus_sources as c; print('\n'.join(c.APT_PACKAGES))")
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}"

echo "== 2. corpus"
[[ -f build/corpus/stats.json ]] || nice $PY tools/train/corpus.py
if [[ $CONFIG == v2 ]]; then
  exec tools/train/round_v2.sh ${STEPS:+--steps "$STEPS"} ${DECAY:+--decay "$DECAY"} \
    ${LIMIT:+--eval-limit "$LIMIT"} -- "$@"
fi
echo "== 3. tokenizer"
[[ -f build/tokenizer/tokenizer.json ]] || $PY tools/train/tokenizer.py train

LIMIT=${LIMIT:-200}

echo "== 4. training ($CONFIG${STEPS:+, $STEPS steps}, $DEVICE)"
train=($PY tools/train/train.py --config "$CONFIG" --device "$DEVICE" ${STEPS:+--steps "$STEPS"} "$@")
if [[ $DEVICE == cpu ]]; then
  "${train[@]}" --tokenize-only --tokenize-workers "$(nproc)"  # the tokenized cache, once
  threads=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
  "${train[@]}" --out "$DIFF" --threads "$threads" >"$DIFF.log" 2>&1 &
  d=$!
  "${train[@]}" --out "$AR" --autoregressive --threads "$threads" >"$AR.log" 2>&1 &
  r=$!
  wait $d; wait $r
else
  "${train[@]}" --out "$DIFF" | tee "$DIFF.log"
  "${train[@]}" --out "$AR" --autoregressive | tee "$AR.log"
fi
tail -n 1 "$DIFF.log" "$AR.log"

echo "== 5. infilld and models/default"
scripts/build.sh >/dev/null
# Built beside it and renamed into place: an editor's server using models/default never
# sees half a model (it goes on with the old files until it loads the new folder).
NEW=models/default.new.$$ OLD=models/default.old.$$
rm -rf "$NEW" && mkdir -p "$NEW"
for f in config.json tokenizer.json tokenizer_config.json model.safetensors training.json loss.csv loss.svg loss.png; do
  [[ -f $DIFF/$f ]] && cp "$DIFF/$f" "$NEW/"
done
[[ -d models/default ]] && mv models/default "$OLD"
mv "$NEW" models/default
rm -rf "$OLD"

echo "== 6. evaluation (HumanEval-Infilling, $LIMIT tasks per subset)"
R1=bench/results/humaneval_infilling_$CONFIG.json R2=bench/results/humaneval_infilling_${CONFIG}_parallel.json
$PY tools/eval/humaneval_infilling.py --compare models/default "$AR" --labels diffusion,autoregressive \
    --limit "$LIMIT" --no-records --out "$R1"
$PY tools/eval/humaneval_infilling.py --model models/default --labels "diffusion, parallel" \
    --extra-flags "--threshold 0.9" --limit "$LIMIT" --no-records --out "$R2"

echo "== 7. model card"
$PY tools/train/model_card.py --model models/default --baseline "$AR" --eval "$R1" "$R2"
build/infilld complete --show examples/primes.py:10:9
