import pytest

from aiops.telemetry.services import service_from_pod
from aiops.timeutil import parse_duration, parse_timestamp, to_rfc3339


@pytest.mark.parametrize(
    "raw",
    [1675000984, "1675000984", 1675000984000, 1675000984000000000, "2023-01-29T14:03:04Z",
     "2023-01-29T14:03:04+00:00", "2023-01-29 14:03:04"],
)
def test_timestamp_forms_agree(raw):
    assert parse_timestamp(raw) == pytest.approx(1675000984.0)


def test_unknown_timestamp_names_value():
    with pytest.raises(ValueError, match="yesterday"):
        parse_timestamp("yesterday")


def test_rfc3339_round_trip():
    assert to_rfc3339(parse_timestamp("2023-01-29T08:43:04Z")) == "2023-01-29T08:43:04Z"


def test_durations():
    assert parse_duration("15m") == 900
    assert parse_duration("1h30m") == 5400
    assert parse_duration("90") == 90
    with pytest.raises(ValueError):
        parse_duration("soon")


@pytest.mark.parametrize(
    "pod, service",
    [("ts-contacts-service-866bd68c97-xcqfx", "ts-contacts-service"), ("redis-0", "redis"),
     ("fluentd-x7k2p", "fluentd"), ("frontend", "frontend"), ("cart-redis", "cart-redis")],
)
def test_service_from_pod(pod, service):
    assert service_from_pod(pod) == service
