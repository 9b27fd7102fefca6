"""The paper's maths on plain tensors: losses, MI read-outs, maps, boxes, the mixture's ground truth.
Imports nothing else of the package, nor Lightning, Hydra or torchmetrics."""
