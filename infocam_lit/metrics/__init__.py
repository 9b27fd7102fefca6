"""torchmetrics Metrics whose states are sums and counts, so they reduce exactly across DDP ranks.
Built on maths/ only."""
