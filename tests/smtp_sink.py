"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it accepts.

It speaks real SMTP over a real socket (and refuses lines longer than 1000
octets, as real servers do), and can be told how to answer each message:

    sink.accept()                       # 250 (the default)
    sink.answer("451 4.3.0 try later")  # every message answered so
    sink.hang(10)                       # say nothing for 10 s after DATA, then 451
    sink.delay_seconds = 0.3            # a slow server: every answer after 0.3 s
    sink.rule = lambda n, envelope: …   # per message: None (accept), a reply, or HANG

With `tls="starttls"` or `tls="implicit"` and a certificate it speaks TLS
(`make_certificate` makes a self-signed one with openssl); each received
message notes whether it came over TLS.

Only accepted messages are recorded (`sink.received`), so counting them by
Message-ID counts deliveries. `refused_port()` gives a port nobody listens on.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

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
    #: Whether it came over TLS
    tls: bool = False

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


def make_certificate(directory: Path, name: str = "127.0.0.1", *alt_names: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for `name`: (cert.pem, key.pem)."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    sans = ",".join(f"IP:{n}" if n.replace(".", "").isdigit() else f"DNS:{n}" for n in (name, *alt_names))
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName={sans}",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class SmtpSink:
    def __init__(self, tls: str | None = None, certificate: tuple[Path, Path] | None = None) -> None:
        #: None, "starttls" or "implicit"
        self.tls = tls
        self.certificate = certificate
        self.received: list[Received] = []
        self.rule: Callable[[int, object], str | None] = lambda n, envelope: None
        self.hang_seconds = 30.0
        #: Seconds every answer to DATA waits (other connections are served meanwhile)
        self.delay_seconds = 0.0
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
        self.delay_seconds = 0.0

    # -- the aiosmtpd handler hook -------------------------------------------
    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.data_count += 1
            n = self.data_count
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
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
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=raw,
                    message=message_from_bytes(raw, policy=policy.default),
                    tls=server.transport.get_extra_info("ssl_object") is not None,
                )
            )
        return "250 2.0.0 OK: queued"

    # -- start and stop -------------------------------------------------------
    def start(self) -> None:
        # Controller(port=0) fails its own start-up check (it connects to the
        # port it was given): pick a free port first. Retry if it got taken.
        for _ in range(5):
            port = free_port()
            options = {}
            if self.tls:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(*map(str, self.certificate))
                options = {"ssl_context": context} if self.tls == "implicit" else {"tls_context": context}
            controller = Controller(self, hostname=self.host, port=port, **options)
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
