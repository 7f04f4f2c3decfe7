"""Tables of the event bus: the durable outbox, the consumers' offsets, the processed-message ledger.

`bus_outbox` is written in the publisher's own transaction (the transactional-outbox pattern), so an
event exists exactly when the change it describes was committed. With the in-process backend the
outbox is the log and `bus_consumer.offset` is each durable consumer's position in it; with NATS
JetStream the outbox rows are relayed to the stream (`published_at` set) and `bus_processed` makes a
redelivered message a no-op for the consumer that already handled it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit sequence.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(Base):
    """One published event; `seq` orders the log (allocated under the publishers' lock, see bus.py)."""

    __tablename__ = "bus_outbox"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotency key, Nats-Msg-Id on relay
    subject: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # relayed to JetStream


class Consumer(Base):
    """A durable consumer: its subjects, its position (in-process backend) and its last failure."""

    __tablename__ = "bus_consumer"

    durable: Mapped[str] = mapped_column(String(100), primary_key=True)
    subjects: Mapped[str] = mapped_column(String(500))
    offset: Mapped[int] = mapped_column(BigInteger, default=0)  # last outbox seq (or stream seq) handled
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failures of the current event
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)  # events handled in total
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Processed(Base):
    """A message a consumer has handled (NATS backend), written in the handler's transaction."""

    __tablename__ = "bus_processed"

    durable: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)  # the stream sequence
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # the stream's receive time
