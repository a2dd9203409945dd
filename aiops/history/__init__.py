"""The run history: every diagnosis recorded in a local DuckDB file (aiops runs, aiops feedback).

    history = RunHistory.from_settings(settings)
    for event in recorded(diagnose(bundle, settings), history, bundle=bundle): ...
    history.runs(limit=20); history.get("last"); diff_runs(history.get(a), history.get(b))
"""

from aiops.history.compare import diff_runs
from aiops.history.recorder import RunRecord, recorded, recorder_for
from aiops.history.store import HistoryBusy, RunHistory, history_path

__all__ = ["HistoryBusy", "RunHistory", "RunRecord", "diff_runs", "history_path", "recorded", "recorder_for"]
