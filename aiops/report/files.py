"""Writing reports without leaving half-written files behind (see aiops/writing.py).

A write that fails (disk full, quota) raises WriteError naming the file; the temporary file is
removed and the previous report, if any, stays as it was. Devices, FIFOs and symlinks are
written through, never replaced; a directory is refused.
"""

from __future__ import annotations

from aiops.writing import OutputFile, check_output_dir, write_atomic, write_directory, write_through

__all__ = ["OutputFile", "check_output_dir", "write_atomic", "write_directory", "write_through"]
