"""Fixtures of the service tests."""

from __future__ import annotations

import pytest
from webhooks import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
