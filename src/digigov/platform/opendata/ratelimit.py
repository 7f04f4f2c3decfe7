"""Moved to `digigov.core.ratelimit` (the federation and sharing endpoints limit with it too)."""

from digigov.core.ratelimit import TokenBucket

__all__ = ["TokenBucket"]
