"""The train and evaluate tasks behind train.py and evaluate.py."""
