#!/usr/bin/env bash
# One GPU: the MI experiment through train.py with DDP on that one device versus no strategy
# (both 16-mixed), epoch times side by side; then a 2-job sweep with trainer=gpu through train.py -m.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name --format=csv,noheader
python3 benchmarks/ddp_throughput.py --gpu
sweep=$(mktemp -d)
python3 train.py -m trainer=gpu logger=csv data.dim=1,2 trainer.max_epochs=2 hydra.sweep.dir="$sweep" 2>&1 | tail -2
ls "$sweep"
