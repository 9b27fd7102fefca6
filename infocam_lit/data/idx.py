"""Reading the IDX files MNIST ships in (gzipped or not), with errors that name the file.

Format: a big-endian header of magic (0x0000 0x08 <ndim>, 0x08 = unsigned byte)
and ndim sizes, then the values in row-major order.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import torch

UBYTE = 0x08


class DatasetError(RuntimeError):
    """A dataset file is missing, truncated or malformed; the message names it."""


def read_idx(path: Path, expected_ndim: int) -> torch.Tensor:
    """The uint8 array stored in an IDX file (.gz decompressed on the fly)."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DatasetError(f"cannot read {path}: {error}") from error
    if len(raw) < 4:
        raise DatasetError(f"{path} is truncated: {len(raw)} bytes, not even an IDX header")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != UBYTE or ndim != expected_ndim:
        raise DatasetError(
            f"{path} is not an unsigned-byte IDX file with {expected_ndim} dimension(s): "
            f"magic 0x{raw[:4].hex()} (expected 0x000008{expected_ndim:02x})")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DatasetError(f"{path} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    expected = int(np.prod(shape))
    if len(raw) - header_size != expected:
        raise DatasetError(f"{path} is truncated or padded: the header says {shape} = {expected} values, "
                           f"the file holds {len(raw) - header_size}")
    array = np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)
    return torch.from_numpy(array.copy())


def write_idx(path: Path, array: np.ndarray | torch.Tensor) -> None:
    """Write a uint8 array as IDX (gzipped when the name ends in .gz); used for fixtures."""
    array = np.asarray(array, dtype=np.uint8)
    data = struct.pack(">HBB", 0, UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
