"""Names and identifiers the way Kubernetes and tracers make them, drawn from a seeded RNG."""

from __future__ import annotations

import zlib

import numpy as np

K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def stream(seed: int, topic: str) -> np.random.Generator:
    """An independent RNG per (seed, topic), stable across runs and Python versions."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(topic.encode())])


def k8s_chars(rng: np.random.Generator, n: int) -> str:
    idx = rng.integers(0, len(K8S_ALPHABET), n)
    return "".join(K8S_ALPHABET[i] for i in idx)


def replicaset_hash(rng: np.random.Generator) -> str:
    """A pod-template hash: 9 or 10 characters of the Kubernetes alphabet."""
    return k8s_chars(rng, int(rng.choice([9, 10], p=[0.35, 0.65])))


def deployment_pod(service: str, rs_hash: str, rng: np.random.Generator) -> str:
    return f"{service}-{rs_hash}-{k8s_chars(rng, 5)}"


def stateful_pod(service: str, ordinal: int) -> str:
    return f"{service}-{ordinal}"


def job_pod(job: str, scheduled_minute: int, rng: np.random.Generator) -> str:
    """A CronJob pod: <cronjob>-<scheduled time in minutes>-<5 chars>."""
    return f"{job}-{scheduled_minute}-{k8s_chars(rng, 5)}"


def pod_ip(rng: np.random.Generator) -> str:
    return f"10.244.{int(rng.integers(0, 8))}.{int(rng.integers(2, 254))}"


def hex_id(rng, nbytes: int) -> str:
    return hex_digits(rng, 2 * nbytes)


def hex_ids(rng: np.random.Generator, count: int, nbytes: int) -> list[str]:
    """`count` random lowercase hex ids of `nbytes` bytes."""
    blob = rng.bytes(max(count, 0) * nbytes).hex()
    w = 2 * nbytes
    return [blob[i * w:(i + 1) * w] for i in range(max(count, 0))]


def pick(rng: np.random.Generator, items: list | tuple) -> object:
    """One element of a sequence (cheaper than rng.choice on a Python list)."""
    return items[int(rng.integers(0, len(items)))]


class BufferedRng:
    """A Generator that also hands out random hex digits from a buffer (ids are hot in log writing).

    Attribute access falls through to the wrapped Generator, so it can stand in for one.
    """

    def __init__(self, rng: np.random.Generator, chunk: int = 8192) -> None:
        self._rng, self._chunk = rng, chunk
        self._hex, self._pos = "", 0

    def __getattr__(self, name: str):
        return getattr(self._rng, name)

    def hex(self, digits: int) -> str:
        if self._pos + digits > len(self._hex):
            self._hex, self._pos = self._rng.bytes(self._chunk).hex(), 0
        out = self._hex[self._pos:self._pos + digits]
        self._pos += digits
        return out


def hex_digits(rng, digits: int) -> str:
    return rng.hex(digits) if isinstance(rng, BufferedRng) else rng.bytes((digits + 1) // 2).hex()[:digits]


def uuid4(rng) -> str:
    h = hex_digits(rng, 32)
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def bump_version(version: str, rng: np.random.Generator) -> str:
    """The next release after `version` (vMAJOR.MINOR.PATCH): usually a patch, sometimes a minor."""
    try:
        major, minor, patch = (int(x) for x in version.lstrip("v").split("."))
    except ValueError:
        return version + "-1"
    return f"v{major}.{minor}.{patch + 1}" if rng.random() < 0.6 else f"v{major}.{minor + 1}.0"


def image_version(rng: np.random.Generator) -> tuple[str, str]:
    """(old, new) semantic versions for a deploy."""
    major = int(rng.integers(1, 4))
    minor = int(rng.integers(0, 30))
    patch = int(rng.integers(0, 9))
    old = f"v{major}.{minor}.{patch}"
    new = f"v{major}.{minor}.{patch + 1}" if rng.random() < 0.6 else f"v{major}.{minor + 1}.0"
    return old, new
