"""Pulling events off an investigation without ever being stuck behind it.

A tool can block for as long as its backend takes (a Prometheus query that hangs). The
source is therefore iterated on a daemon thread that hands events over a queue; the
app's textual worker reads the queue and checks for cancellation between reads. Quitting
or re-running cancels the worker at once; the daemon thread stops at the source's next
event, and a source that never returns does not keep the process alive.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator

from aiops.errors import AiopsError, one_line

EVENT, FAILED, END = "event", "failed", "end"


class EventPump:
    def __init__(self, run: Callable[[], Iterator[object]], name: str) -> None:
        self._run = run
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._pump, daemon=True, name=name)

    def start(self) -> "EventPump":
        self.thread.start()
        return self

    def stop(self) -> None:
        """Ask the pump to stop at the source's next event (and close the source there)."""
        self._stop.set()

    def get(self, timeout: float) -> tuple[str, object] | None:
        """The next (kind, payload): (event, e), (failed, reason), (end, None); None on timeout."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _pump(self) -> None:
        events = None
        try:
            events = self._run()
            for event in events:
                if self._stop.is_set():
                    break
                self._queue.put((EVENT, event))
        except AiopsError as exc:
            self._queue.put((FAILED, one_line(exc)))
        except Exception as exc:  # noqa: BLE001 - reported in the app; the app stays up
            self._queue.put((FAILED, f"{exc.__class__.__name__}: {one_line(exc)}"))
        finally:
            close = getattr(events, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001 - a source that fails to close has already ended
                    pass
            self._queue.put((END, None))
