"""Downloads and caches are written once per node: its local rank 0 runs the DataModule's
`prepare_data`, the node's other ranks wait until `is_prepared()` holds.

The run layer builds the model from the data (class count, label prior) before a Trainer exists, so
this happens before Lightning's own once-per-node `prepare_data` call (which then finds nothing to do).
Lightning's DDP children are started after rank 0 got here, so they find the data in place; ranks
started by SLURM or torchrun all at once really wait. Several nodes (each a local rank 0) may
download into one shared folder at the same time: `data/archive.py` keeps them from corrupting it.
"""

from __future__ import annotations

import logging
import os
import time

from infocam_lit.data.base import ExperimentDataModule

log = logging.getLogger(__name__)

POLL_S = 2.0
WAIT_LIMIT_S = 4 * 3600  # a dataset download on a slow link; beyond this, local rank 0 has surely failed


def local_rank() -> int:
    """This process's rank on its node: LOCAL_RANK (Lightning's DDP children, torchrun) or SLURM_LOCALID."""
    for name in ("LOCAL_RANK", "SLURM_LOCALID"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 0


def prepare_once_per_node(datamodule: ExperimentDataModule, limit_s: float = WAIT_LIMIT_S) -> None:
    if local_rank() == 0:
        datamodule.prepare_data()
        return
    start = time.monotonic()
    if not datamodule.is_prepared():
        log.info("local rank %d waits for local rank 0 to prepare the data", local_rank())
    while not datamodule.is_prepared():
        if time.monotonic() - start > limit_s:
            raise TimeoutError(f"local rank {local_rank()} waited {limit_s:.0f} s for local rank 0 to prepare the "
                               "data (download or cache); see rank 0's log for why it did not finish")
        time.sleep(POLL_S)
