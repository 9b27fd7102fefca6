"""Epoch time of the in-memory GMM loader against the two DataLoader idioms, side by side.

Same data (d=5, imbalanced train split, 75,000 points), batch 512, all shuffled:
- TensorBatchLoader (ours): one random permutation, one slice per batch;
- DataLoader, batched: a BatchSampler over a TensorDataset with batch_size=None, so the
  dataset is indexed once per batch (the fair baseline);
- DataLoader, per item: batch_size=512 over a TensorDataset (one __getitem__ per point, then collate).
Measured three ways: iterating the batches alone, with the MLP's training step in a plain loop, and
end to end, one Lightning epoch of the MI experiment's module (no validation).

    python benchmarks/gmm_loader.py
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best_of_turns  # noqa: E402

from infocam_lit.data.gmm import GMMDataModule  # noqa: E402
from infocam_lit.maths.losses import ClassificationLoss  # noqa: E402
from infocam_lit.modules.classifier import ClassifierModule  # noqa: E402
from infocam_lit.nets.mlp import mlp  # noqa: E402
from infocam_lit.run.schema import section  # noqa: E402
from infocam_lit.run.schema.maps import LossConfig  # noqa: E402

REPEATS = 3
BATCH = 512
ADAM = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 1e-3}


def loop(loader, step=None):
    def run():
        for x, y in loader:
            if step is not None:
                step(x, y)
    return run


def lightning_epoch(loader, dm: GMMDataModule):
    def run():
        warnings.filterwarnings("ignore")  # Lightning's advice (no validation loader, ...): not measured here
        module = ClassifierModule(net={"_target_": "infocam_lit.nets.mlp.mlp", "hidden_sizes": [100, 100, 100]},
                                  optimizer=ADAM, scheduler=None, loss=section(LossConfig, name="pc_softmax"),
                                  channels_last=False, compile=False, **dm.model_kwargs())
        trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0)
        trainer.fit(module, train_dataloaders=loader)
    return run


def main() -> None:
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    torch.manual_seed(0)
    dm = GMMDataModule(dim=5, imbalanced=True, seed=0, batch_size=BATCH, eval_batch_size=8192, noise_dims=0,
                       size_factor=1.0)
    dm.setup()
    dataset = TensorDataset(*dm.splits["train"])
    loaders = {
        "TensorBatchLoader": dm.train_dataloader(),
        "DataLoader, batched": DataLoader(dataset, batch_size=None,
                                          sampler=BatchSampler(RandomSampler(dataset), BATCH, drop_last=False)),
        "DataLoader, per item": DataLoader(dataset, batch_size=BATCH, shuffle=True),
    }
    net = mlp(5, 5, [100, 100, 100])
    loss = ClassificationLoss("pc_softmax", dm.label_prior)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

    def train_step(x, y):
        optimizer.zero_grad()
        loss(net(x), y).backward()
        optimizer.step()

    print(f"epoch of 75,000 points, batch {BATCH}, {torch.get_num_threads()} thread(s); seconds (best of {REPEATS}),"
          " then how many times longer each DataLoader idiom takes than TensorBatchLoader")
    names = list(loaders)
    print(f"{'':32s}" + "".join(f"{name:>22s}" for name in names) + f"{'batched / ours':>16s}{'per item / ours':>17s}")
    for label, make in (("batches only", lambda loader: loop(loader)),
                        ("with the MLP training step", lambda loader: loop(loader, train_step)),
                        ("Lightning fit, one epoch", lambda loader: lightning_epoch(loader, dm))):
        seconds = best_of_turns(REPEATS, [make(loaders[name]) for name in names])
        print(f"{label:32s}" + "".join(f"{s:21.3f}s" for s in seconds)
              + f"{seconds[1] / seconds[0]:15.2f}x{seconds[2] / seconds[0]:16.2f}x", flush=True)


if __name__ == "__main__":
    main()
