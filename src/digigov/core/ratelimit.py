"""Rate limits: a token bucket per key (a client address, a grant), in process; used by the open-data
portal, the federation endpoint and shared-data reads.

Each address has a bucket of `burst` tokens that refills at `per_minute / 60` tokens a second; a request
takes one token or is refused with the number of seconds until one is back (the Retry-After header).
Buckets live in the process (several workers each keep their own, so the effective limit is per worker);
idle full buckets are dropped so the table stays small.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBucket:
    """`take(address)` -> 0 when allowed, else the seconds to wait before the next request is allowed."""

    def __init__(self, per_minute: int, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 max_addresses: int = 10_000) -> None:
        self.rate = max(1, per_minute) / 60.0
        self.burst = max(1, burst)
        self.clock = clock
        self.max_addresses = max_addresses
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _level(self, bucket: _Bucket, now: float) -> float:
        return min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)

    def take(self, address: str) -> int:
        now = self.clock()
        with self._lock:
            if len(self._buckets) >= self.max_addresses:
                self._prune(now)
            bucket = self._buckets.get(address)
            if bucket is None:
                bucket = self._buckets[address] = _Bucket(float(self.burst), now)
            bucket.tokens, bucket.at = self._level(bucket, now), now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0
            return max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def _prune(self, now: float) -> None:
        full = [a for a, b in self._buckets.items() if self._level(b, now) >= self.burst]
        for address in full:
            del self._buckets[address]
        if len(self._buckets) >= self.max_addresses:  # everyone is busy: forget the oldest half
            for address, _ in sorted(self._buckets.items(), key=lambda kv: kv[1].at)[: self.max_addresses // 2]:
                del self._buckets[address]
