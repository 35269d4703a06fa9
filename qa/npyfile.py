"""A .npy file written a block of rows at a time, its length known only at the end."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

HEADER_BYTES = 128  # room for any shape: the header is written last, padded to this size
MAGIC = b"\x93NUMPY\x01\x00"


class NpyWriter:
    """Appends rows of one dtype and row shape; `close` writes the header for the rows appended and fsyncs.

    An OSError of a full disk surfaces from `append` or `close`, as from every other write of a build.
    """

    def __init__(self, path: Path, dtype: np.dtype | type, row_shape: tuple[int, ...] = ()) -> None:
        self.path, self.dtype, self.row_shape = path, np.dtype(dtype), row_shape
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "wb")  # noqa: SIM115  # held across appends, closed by close or abandon
        self.file.write(b"\0" * HEADER_BYTES)

    def append(self, rows: np.ndarray) -> None:
        block = np.ascontiguousarray(rows, dtype=self.dtype)
        if block.shape[1:] != self.row_shape:
            raise ValueError(f"rows of shape {block.shape[1:]} appended to {self.path.name} of rows {self.row_shape}")
        self.file.write(block.tobytes())
        self.rows += len(block)

    def close(self) -> Path:
        self.file.seek(0)
        self.file.write(header(self.dtype, (self.rows, *self.row_shape)))
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        return self.path

    def abandon(self) -> None:
        """Close without a header; the build is failing and its folder goes, so a write error here is moot."""
        try:
            self.file.close()
        except OSError:
            pass


def header(dtype: np.dtype, shape: tuple[int, ...]) -> bytes:
    """A version 1.0 .npy header of exactly HEADER_BYTES."""
    text = repr({"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape})
    room = HEADER_BYTES - len(MAGIC) - 2
    return MAGIC + struct.pack("<H", room) + text.ljust(room - 1).encode("latin1") + b"\n"
