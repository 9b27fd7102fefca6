#!/usr/bin/env bash
# The GPU checks of the WSOL issue, as one script for a machine with CUDA:
# training throughput (fp32 vs bf16 + channels-last), evaluation overhead, MaxBoxAccV2 speed,
# and a WSOL run through train.py with bf16 mixed precision on generated CUB-format data.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
python3 benchmarks/wsol_train_throughput.py --device cuda --batch 64 --steps 20
python3 benchmarks/wsol_overhead.py --device cuda --repeats 10
python3 benchmarks/wsol_overhead.py --device cuda --precision bf16 --channels-last --repeats 10
python3 benchmarks/wsol_overhead.py --device cuda --batch 64 --precision bf16 --channels-last --repeats 10  # goal <= 50 %
python3 benchmarks/maxboxacc.py --device cuda
data=$(mktemp -d)
python3 -c "import sys; sys.path.insert(0, '.'); from pathlib import Path; from tests.helpers.fixture_data import make_cub; make_cub(Path('$data'), num_classes=4, train_per_class=16, test_per_class=8)"
python3 train.py experiment=wsol_cub model=resnet50 model.net.pretrained=false "data.root=$data" logger=csv \
    trainer=gpu model.channels_last=true trainer.max_epochs=2 data.num_workers=2 \
    hydra.run.dir="$data/run" 2>&1 | tail -3
