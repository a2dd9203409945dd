"""What Prometheus computes for the source (rate, histogram quantile, average per pod) is what
the store receives: a real Prometheus over series with known answers."""

from __future__ import annotations

import pytest
from live_servers import create_blocks, missing_binaries, start_prometheus

from aiops.domain import TimeWindow
from aiops.telemetry.live.registry import build_source

pytestmark = pytest.mark.live

T0 = 1_700_000_000.0
SPAN = 1800


def _family(name: str, lines: list[str]) -> str:
    return f"# TYPE {name} unknown\n" + "".join(lines)


def openmetrics() -> str:
    """A counter rising 10/s + 2/s (two codes), a histogram with fixed per-second bucket
    increments, and a gauge scraped from two instances of one pod."""
    steps = range(0, SPAN + 1, 15)
    base = 'namespace="calc",service="api",pod="api-0"'
    out = []
    out.append(_family("req_total", [f'req_total{{{base},code="{code}"}} {rate * t} {T0 + t:.3f}\n'
                                     for code, rate in (("200", 10), ("500", 2)) for t in steps]))
    buckets = (("0.1", 80), ("0.5", 95), ("1", 99), ("+Inf", 100))
    out.append(_family("lat_seconds_bucket", [f'lat_seconds_bucket{{{base},le="{le}"}} {per_s * t} {T0 + t:.3f}\n'
                                              for le, per_s in buckets for t in steps]))
    out.append(_family("mem_bytes", [f'mem_bytes{{{base},instance="{inst}"}} {v} {T0 + t:.3f}\n'
                                     for inst, v in (("x", 100), ("y", 300)) for t in steps]))
    return "".join(out) + "# EOF\n"


@pytest.fixture(scope="module")
def calc_prometheus(tmp_path_factory):
    missing = missing_binaries("prometheus", "promtool")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install prometheus; .ci/run does it)")
    work = tmp_path_factory.mktemp("calc")
    (work / "calc.om").write_text(openmetrics())
    create_blocks(work / "calc.om", work / "data")
    server = start_prometheus(work, work / "data")
    yield server
    server.stop()


def test_rates_quantiles_and_averages_are_computed_by_the_server(calc_prometheus):
    src = build_source("prometheus", "calc", {"url": calc_prometheus.url, "quantiles": [0.9]})
    window = TimeWindow(T0 + 300, T0 + SPAN)
    result = src.fetch(window)
    assert result.status == "ok" and result.problems == [], result.problems
    by_name = {s["metric"]["__name__"]: s for s in result.batch.metrics}
    assert set(by_name) == {"req_total:rate1m", "lat_seconds:p90", "mem_bytes"}
    assert {s["metric"]["pod"] for s in result.batch.metrics} == {"api-0"}
    assert "code" not in by_name["req_total:rate1m"]["metric"] and "instance" not in by_name["mem_bytes"]["metric"]

    def values(name):
        return [float(v) for _, v in by_name[name]["values"]]

    assert values("req_total:rate1m") == pytest.approx([12.0] * len(values("req_total:rate1m")))
    # rank 90 of 100 per second lies in (0.1, 0.5]: 0.1 + 0.4 * (90 - 80) / (95 - 80)
    assert values("lat_seconds:p90") == pytest.approx([0.1 + 0.4 * 10 / 15] * len(values("lat_seconds:p90")))
    assert values("mem_bytes") == pytest.approx([200.0] * len(values("mem_bytes")))
    assert any(q.startswith("histogram_quantile(0.9, sum by (namespace, service, pod, job, app, le) (rate(")
               for q in result.queries)
    src.close()
