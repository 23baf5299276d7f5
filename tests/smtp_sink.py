"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it accepts.

It speaks real SMTP over a real socket (and refuses lines longer than 1000
octets, as real servers do), and can be told how to answer each message:

    sink.accept()                       # 250 (the default)
    sink.answer("451 4.3.0 try later")  # every message answered so
    sink.hang(10)                       # say nothing for 10 s after DATA, then 451
    sink.rule = lambda n, envelope: …   # per message: None (accept), a reply, or HANG

Only accepted messages are recorded (`sink.received`), so counting them by
Message-ID counts deliveries. `refused_port()` gives a port nobody listens on.
"""
from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

#: A rule's answer meaning "hang": say nothing until the hang time is over.
HANG = "hang"


@dataclass
class Received:
    """One message the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refused_port() -> int:
    """A port on 127.0.0.1 that nobody listens on: connecting is refused."""
    return free_port()


class SmtpSink:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rule: Callable[[int, object], str | None] = lambda n, envelope: None
        self.hang_seconds = 30.0
        #: Set when a message is being held by a hang (a test may then kill its sender).
        self.hanging = threading.Event()
        #: Every DATA seen, accepted or not
        self.data_count = 0
        self._lock = threading.Lock()
        self.host = "127.0.0.1"
        self.port = 0
        self._controller: Controller | None = None

    # -- behaviours ---------------------------------------------------------
    def accept(self) -> None:
        self.rule = lambda n, envelope: None

    def answer(self, reply: str) -> None:
        self.rule = lambda n, envelope: reply

    def hang(self, seconds: float) -> None:
        self.hang_seconds = seconds
        self.rule = lambda n, envelope: HANG

    # -- what arrived -------------------------------------------------------
    def message_ids(self) -> Counter:
        with self._lock:
            return Counter(r.message_id for r in self.received)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self.data_count = 0
        self.hanging.clear()

    # -- the aiosmtpd handler hook -------------------------------------------
    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.data_count += 1
            n = self.data_count
        reply = self.rule(n, envelope)
        if reply == HANG:
            self.hanging.set()
            # Cancelled when the client goes away; never accepted either way.
            await asyncio.sleep(self.hang_seconds)
            return "451 4.4.2 timed out holding the message"
        if reply is not None:
            return reply
        raw = bytes(envelope.original_content)
        with self._lock:
            self.received.append(Received(
                mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), raw=raw,
                message=message_from_bytes(raw, policy=policy.default),
            ))
        return "250 2.0.0 OK: queued"

    # -- start and stop -------------------------------------------------------
    def start(self) -> None:
        # Controller(port=0) fails its own start-up check (it connects to the
        # port it was given): pick a free port first. Retry if it got taken.
        for _ in range(5):
            port = free_port()
            controller = Controller(self, hostname=self.host, port=port)
            try:
                controller.start()
            except (OSError, RuntimeError):
                continue
            self._controller, self.port = controller, port
            return
        raise RuntimeError("could not start the SMTP sink")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
