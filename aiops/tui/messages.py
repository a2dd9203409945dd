"""Messages the investigation worker and the catalog loader post to the UI thread. The run
messages carry the run's generation, so the app drops what an older, re-run investigation
still sends."""

from __future__ import annotations

from textual.message import Message


class RunEvent(Message):
    def __init__(self, generation: int, event: object) -> None:
        super().__init__()
        self.generation, self.event = generation, event


class RunFailed(Message):
    def __init__(self, generation: int, reason: str) -> None:
        super().__init__()
        self.generation, self.reason = generation, reason


class RunEnded(Message):
    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class Catalog(Message):
    """Services and metric names in the store, for the palette and completion."""

    def __init__(self, services: list[str], metrics: list[str]) -> None:
        super().__init__()
        self.services, self.metrics = services, metrics
