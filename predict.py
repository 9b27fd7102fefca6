"""Run a trained WSOL model on new images: python predict.py ckpt_path=<file> images=<file or folder>."""

from infocam_lit.run.cli import predict_main

if __name__ == "__main__":
    predict_main()
