"""The drill-down command line: commands, aliases, times and ranges."""

from __future__ import annotations

import pytest

from aiops.domain import TimeWindow
from aiops.timeutil import parse_timestamp
from aiops.tui.command_line import Command, CommandError, parse_command, parse_range, parse_time

W = TimeWindow(parse_timestamp("2024-11-18T19:47:00Z"), parse_timestamp("2024-11-18T20:17:00Z"))
ONSET = parse_timestamp("2024-11-18T20:07:25Z")


def test_commands_and_aliases():
    assert parse_command(":service checkout") == Command("service", ("checkout",))
    assert parse_command("m latency_p99_seconds cart") == Command("metric", ("latency_p99_seconds", "cart"))
    assert parse_command('export html "my report.html"') == Command("export", ("html", "my report.html"))
    assert parse_command("rerun") == Command("rerun")


@pytest.mark.parametrize("text, message", [
    ("", "empty command"), ("deploy now", "unknown command 'deploy'"), ("service", "usage: service NAME"),
    ("rerun now", "usage: rerun"), ('service "open', "cannot parse"),
])
def test_bad_commands_say_what_is_wrong(text, message):
    with pytest.raises(CommandError, match=message):
        parse_command(text)


def test_times_in_every_accepted_form():
    assert parse_time("20:05", W, ONSET) == parse_timestamp("2024-11-18T20:05:00Z")
    assert parse_time("20:05:30", W, ONSET) == parse_timestamp("2024-11-18T20:05:30Z")
    assert parse_time("onset-10m", W, ONSET) == ONSET - 600
    assert parse_time("onset + 90s", W, ONSET) == ONSET + 90
    assert parse_time("end", W, ONSET) == W.end
    assert parse_time("2024-11-18T20:00:00Z", W, ONSET) == parse_timestamp("2024-11-18T20:00:00Z")
    with pytest.raises(CommandError, match="not a time"):
        parse_time("soon", W, ONSET)
    with pytest.raises(CommandError, match="no onset"):
        parse_time("onset", W, None)


def test_ranges():
    assert parse_range(("onset-5m", "onset+5m"), W, ONSET) == TimeWindow(ONSET - 300, ONSET + 300)
    assert parse_range(("reset",), W, ONSET) is None
    with pytest.raises(CommandError, match="not after its start"):
        parse_range(("20:10", "20:00"), W, ONSET)
