"""New and surging log templates and error trace paths around a release."""

from __future__ import annotations

import numpy as np

from aiops.analytics.release_logs import LogGate, compare_log_templates, grade_template
from aiops.analytics.release_traces import compare_error_paths, grade_path

GATE = LogGate(alpha=0.001, min_lines=5, surge_warn=3.0, surge_fail=10.0)
T0 = 1_700_000_000.0
BEFORE, AFTER = (T0, T0 + 3600), (T0 + 3600, T0 + 4500)
YESTERDAY = [((T0 - 86400, T0 - 86400 + 3600), (T0 - 86400 + 3600, T0 - 86400 + 4500))]   # (before, after) of a day


class Lines:
    def __init__(self) -> None:
        self.ts, self.svc, self.msg, self.lvl = [], [], [], []

    def add(self, times, service: str, text, level: str) -> None:
        for i, t in enumerate(times):
            self.ts.append(float(t))
            self.svc.append(service)
            self.msg.append(text(i) if callable(text) else text)
            self.lvl.append(level)

    def compare(self, history=()):
        return compare_log_templates(self.ts, self.svc, self.msg, self.lvl, BEFORE, AFTER, history)


def _chatter(lines: Lines, rng: np.random.Generator, lo: float, hi: float) -> None:
    lines.add(np.sort(rng.uniform(lo, hi, int((hi - lo) / 4))), "cart", lambda i: f"GET /cart/{i} 200 in {i % 40} ms",
              "info")


def test_a_new_error_template_after_the_release_fails_and_names_the_lines():
    rng = np.random.default_rng(1)
    lines = Lines()
    _chatter(lines, rng, BEFORE[0], AFTER[1])
    lines.add(np.sort(rng.uniform(*AFTER, 40)), "cart",
              lambda i: f"NullPointerException: Cannot invoke \"Order.getId()\" for order {1000 + i}", "error")
    changes = lines.compare()
    new = [c for c in changes if c.new and c.log_class == "error"]
    assert len(new) == 1 and new[0].n_after == 40 and new[0].service == "cart"
    assert "NullPointerException" in new[0].template and "<*>" in new[0].template
    assert grade_template(new[0], GATE) == "fail"
    assert not any(grade_template(c, GATE) != "pass" for c in changes if c is not new[0])


def test_a_template_yesterday_had_at_these_hours_is_not_new():
    rng = np.random.default_rng(2)
    lines = Lines()
    text = "WARN cache refresh took longer than expected"
    lines.add(np.sort(rng.uniform(*AFTER, 8)), "cart", text, "warning")
    lines.add(np.sort(rng.uniform(*YESTERDAY[0][1], 8)), "cart", text, "warning")
    assert lines.compare(YESTERDAY) == []          # as frequent as at these hours yesterday: no change at all
    lines.add(np.sort(rng.uniform(*YESTERDAY[0][0], 2)), "cart", text, "warning")
    lines.add(np.sort(rng.uniform(*AFTER, 30)), "cart", text, "warning")
    (surge,) = lines.compare(YESTERDAY)              # four times yesterday's rate at these hours
    assert not surge.new and surge.n_history == 10 and surge.ratio > 3
    without = Lines()
    without.add(np.sort(rng.uniform(*AFTER, 8)), "cart", text, "warning")
    assert without.compare()[0].new and grade_template(without.compare()[0], GATE) == "warn"


def test_new_info_templates_never_change_the_verdict():
    lines = Lines()
    lines.add(np.linspace(AFTER[0] + 5, AFTER[1] - 5, 50), "cart", lambda i: f"feature flag checkout-v2 served user {i}",
              "info")
    (change,) = lines.compare()
    assert change.new and change.log_class == "info" and grade_template(change, GATE) == "pass"


def test_a_burst_of_lines_in_one_second_is_one_event_not_a_regression():
    rng = np.random.default_rng(3)
    lines = Lines()
    text = "ERROR client disconnected during SendOrderConfirmation"
    lines.add([BEFORE[0] + 900.0, BEFORE[0] + 2500.0], "email", text, "error")      # rare before
    lines.add(AFTER[0] + 300 + np.sort(rng.uniform(0, 1.0, 9)), "email", text, "error")   # 9 lines, one second
    (change,) = lines.compare()
    assert change.n_after == 9 and change.minutes_after == 1 and change.ratio > 10
    assert grade_template(change, GATE) == "pass"
    spread = Lines()
    spread.add([BEFORE[0] + 900.0, BEFORE[0] + 2500.0], "email", text, "error")
    spread.add(np.linspace(AFTER[0] + 30, AFTER[1] - 30, 12), "email", text, "error")  # 12 minutes with errors
    assert grade_template(spread.compare()[0], GATE) == "fail"


def test_surges_of_a_frequent_error_template_are_graded_by_their_ratio():
    rng = np.random.default_rng(4)
    text = "ERROR upstream timeout calling payment"
    base = np.sort(rng.uniform(*BEFORE, 240))                         # ~4 a minute, every minute
    for factor, expected in ((1.2, "pass"), (5.0, "warn"), (15.0, "fail")):
        lines = Lines()
        lines.add(base, "checkout", text, "error")
        lines.add(np.sort(rng.uniform(*AFTER, int(60 * factor))), "checkout", text, "error")
        changes = lines.compare()
        status = grade_template(changes[0], GATE) if changes else "pass"
        assert status == expected, (factor, changes)


def _spans(rows):
    cols = ("trace_id", "span_id", "parent_span_id", "service", "operation", "start", "duration_us", "status")
    return {c: [r[i] for r in rows] for i, c in enumerate(cols)}


def _trace(i: int, t: float, fail_at: str = "") -> list[tuple]:
    tid = f"t{i}"
    return [(tid, f"{tid}a", "", "frontend", "GET /cart", t, 9000, "ERROR" if fail_at else "OK"),
            (tid, f"{tid}b", f"{tid}a", "cart", "GetCart", t + 0.001, 5000, "ERROR" if fail_at else "OK"),
            (tid, f"{tid}c", f"{tid}b", "redis", "HGET", t + 0.002, 1000, "ERROR" if fail_at == "redis" else "OK")]


def test_a_new_error_path_after_the_release_fails_and_points_at_its_origin():
    rng = np.random.default_rng(5)
    rows = []
    for i, t in enumerate(np.sort(rng.uniform(BEFORE[0], AFTER[1], 900))):
        fail = "redis" if t >= AFTER[0] and rng.random() < 0.1 else ""
        rows += _trace(i, float(t), fail)
    (path,) = compare_error_paths(_spans(rows), BEFORE, AFTER)
    assert path.service == "redis" and path.path == "frontend:GET /cart > cart:GetCart > redis:HGET"
    assert path.new and path.n_after >= 10 and grade_path(path, GATE) == "fail"


def test_error_paths_that_failed_as_often_before_pass():
    rng = np.random.default_rng(6)
    rows = []
    for i, t in enumerate(np.sort(rng.uniform(BEFORE[0], AFTER[1], 900))):
        rows += _trace(i, float(t), "redis" if rng.random() < 0.05 else "")
    changes = compare_error_paths(_spans(rows), BEFORE, AFTER)
    assert all(grade_path(c, GATE) == "pass" for c in changes)
