#!/usr/bin/env bash
# The long multi-style run (issue 9), resumable: continues from the committed state in
# training/state/presets-multi (fresh optimiser moments, learning-rate warm-up). Run from the repository
# root; logs and previews go to runs/long/ (ignored). MINUTES (default 600) is this invocation's budget.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs/long
python=python
[ -x .venv/bin/python ] && python=.venv/bin/python  # the README's venv, when it is not activated
exec "$python" -m training.multistyle \
    --data "${NST_TRAIN_DATA:-../shared/datasets/photos256}" \
    --out runs/long --state training/state/presets-multi \
    --size 128 --style-size 768 --batch-size 4 --steps 20000 --lr 1e-3 --warmup 200 \
    --style-weights 40 40 25 40 --tv-weights 10 \
    --threads "${THREADS:-1}" --minutes "${MINUTES:-600}" \
    --preview-every 500 --state-every 20 --log-every 50
