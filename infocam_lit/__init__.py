"""infocam_lit: classifiers as mutual-information estimators, PC-softmax and infoCAM."""

__version__ = "0.1.0"
