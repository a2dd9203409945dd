"""The service's log of record: every incident, diagnosis and delivery attempt, one JSON line
each, appended and fsynced before the service moves on (aiops.journal), so a record is
never lost to a crash or a storm. Readers (tests, `jq`, a log shipper) may read it at any
time.

Events, each with `ts` and `incident`:
    incident   a new incident (group key, alerts' fingerprints and names)
    merged     alerts joined a waiting incident;   repeat / resolved: a re-notification
    queued     handed to a diagnosis worker;       skipped: not diagnosed, with the reason
    diagnosis  finished: status ok|failed, run id, top cause, seconds
    attempt    one delivery attempt to a sink: ok or the error
    delivery   a sink's final status: delivered | failed | dropped
"""

from __future__ import annotations

import fcntl
import time
from pathlib import Path
from typing import Any

from aiops import journal
from aiops.config import Settings


def log_path(settings: Settings) -> Path:
    s = settings.serve.log_path
    return Path(s).expanduser() if s else settings.data_dir / "serve" / "deliveries.jsonl"


class ServiceLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.failures = 0        # records the disk refused (the service goes on; /healthz says so)

    def write(self, event: str, incident: str, **fields: Any) -> None:
        try:
            journal.append(self.path, {"ts": time.time(), "event": event, "incident": incident, **fields})
        except OSError:
            self.failures += 1

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with journal.locked(self.path, fcntl.LOCK_SH) as fd:
            return journal.records(fd, lambda r: "event" in r)
