"""Import in the background what the scans will need, while the bundle loads.

`scipy.special` (the incomplete gamma and beta functions of the log and trace tests) takes
~0.3 s of CPU to import — most of it scipy's array-API layer importing numpy's test and
f2py modules. Imported lazily by the first scan that needs it, that time adds to the scans
(all of them wait on the GIL meanwhile). Started before the bundle load, whose CSV parsing
runs in DuckDB without the GIL, the import runs on the other core instead.
"""

from __future__ import annotations

import importlib
import threading

HEAVY_MODULES = ("scipy.special",)


def _import_all() -> None:
    for name in HEAVY_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:   # the scan that needs it says so itself
            pass


def preload_in_background() -> threading.Thread:
    """Start importing HEAVY_MODULES in a daemon thread; returns it (nobody needs to wait:
    a scan importing one of them meanwhile waits on the import lock for the same module)."""
    thread = threading.Thread(target=_import_all, name="aiops-preload", daemon=True)
    thread.start()
    return thread
