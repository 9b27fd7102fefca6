"""infocam_lit: classifiers as mutual-information estimators, PC-softmax and infoCAM.

The Python API, usable outside Lightning: maps, boxes and IoU, the localisation metrics, the kNN
estimator of I(X;Y) and the MI read-outs of a trained classifier. Each name lives in its layer
(maths/cam.py, maths/boxes.py, metrics/localization.py, maths/knn_mi.py, maths/mi_readout.py). Python
runs this file before any layer, so it imports only maths/ and metrics/, the two lowest: neither the API nor
those layers load Lightning or Hydra.

Example:
    >>> import torch
    >>> from infocam_lit import boxes_from_maps, box_iou
    >>> maps = torch.zeros(1, 5, 6); maps[0, 1:3, 2:5] = 1.0
    >>> box = boxes_from_maps(maps, threshold=0.5)
    >>> box
    tensor([[2, 1, 4, 2]])
    >>> round(box_iou(box, torch.tensor([[2, 1, 4, 3]])).item(), 4)  # 6 shared pixels of 9
    0.6667
"""

from infocam_lit.maths.boxes import box_iou, boxes_from_maps, normalize_maps
from infocam_lit.maths.cam import compute_maps, region_sum, upsampled_maps
from infocam_lit.maths.knn_mi import knn_mi
from infocam_lit.maths.mi_readout import (
    pmi_for_loss,
    pmi_logit_adjusted,
    pmi_pc_softmax,
    pmi_prior_corrected,
    pmi_softmax_log_m,
    pmi_under_prior,
    prior_free_scores,
)
from infocam_lit.metrics.localization import LocalizationAccuracy, MaxBoxAccV2

__version__ = "0.1.0"

__all__ = [
    "LocalizationAccuracy",
    "MaxBoxAccV2",
    "box_iou",
    "boxes_from_maps",
    "compute_maps",
    "knn_mi",
    "normalize_maps",
    "pmi_for_loss",
    "pmi_logit_adjusted",
    "pmi_pc_softmax",
    "pmi_prior_corrected",
    "pmi_softmax_log_m",
    "pmi_under_prior",
    "prior_free_scores",
    "region_sum",
    "upsampled_maps",
]
