#!/usr/bin/env bash
# One GPU: the MI experiment through train.py with DDP on that one device versus no strategy
# (both 16-mixed), epoch times side by side; every module's epoch logging under NCCL (WSOL on
# generated CUB-format data, double-digit MNIST on generated MNIST files, MINE); a GPU sweep.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name --format=csv,noheader
python3 benchmarks/ddp_throughput.py --gpu
data=$(mktemp -d)
python3 -c "import sys; sys.path.insert(0, '.'); from pathlib import Path; from tests.helpers.fixture_data import make_cub, make_mnist; make_cub(Path('$data'), num_classes=4, train_per_class=16, test_per_class=8); make_mnist(Path('$data'), n_train=1200, n_test=300)"
ddp="trainer=ddp trainer.devices=1 logger=csv trainer.max_epochs=2"
python3 train.py experiment=wsol_cub model=resnet50 model.net.pretrained=false "data.root=$data" $ddp \
    data.resize_size=72 data.crop_size=64 hydra.run.dir="$data/wsol" 2>&1 | tail -1
python3 train.py experiment=double_mnist "data.root=$data" data.train_canvases=800 data.val_canvases=100 \
    data.test_canvases=200 "data.cache_dir=$data/cache" $ddp hydra.run.dir="$data/dm" 2>&1 | tail -1
python3 train.py model=mine $ddp hydra.run.dir="$data/mine" 2>&1 | tail -1
python3 train.py -m trainer=gpu logger=csv data.dim=1,2 trainer.max_epochs=2 hydra.sweep.dir="$data/sweep" 2>&1 | tail -1
ls "$data/sweep"
