"""A small LINE Messaging API on 127.0.0.1 for tests: real HTTP, real signatures.

What it implements, as LINE's public documentation describes it
(developers.line.biz, Messaging API reference and "Retrying a failed API
request"):

- POST /v2/bot/message/push with a Bearer token; 1–5 message objects; an
  X-Line-Retry-Key is executed once: a repeat gets 409 with the
  x-line-accepted-request-id header. An unknown `to` gets 400. A user who
  blocked the account is accepted (200) but receives nothing, as on LINE.
- POST /v2/bot/message/reply, POST /v2/bot/user/{userId}/linkToken,
  GET /v2/bot/info, GET /v2/bot/message/quota and /quota/consumption.
- GET /dialog/bot/accountLink?linkToken&nonce (access.line.me): the person
  "confirms" in LINE; the emulator sends the signed accountLink event.
- Faults per push (`emulator.rule = lambda n, body: …`, n counts pushes from
  1): None (accept), ("status", code, headers) to answer so without
  executing, "timeout-after-accept" (execute, then answer too late),
  "timeout" (answer too late without executing).
- Webhooks: `send_events(url, events)` signs the body (base64 HMAC-SHA256
  with the channel secret) and POSTs it, as LINE does.

`delivered` lists what reached people: one entry per executed push.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"
ACCESS_TOKEN = "emulator-long-lived-channel-access-token-0001"


@dataclass
class Push:
    to: str
    messages: list[dict]
    retry_key: str | None
    request_id: str

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("altText", "") for m in self.messages]


@dataclass
class LineEmulator:
    secret: str = CHANNEL_SECRET
    token: str = ACCESS_TOKEN
    basic_id: str = "@ita-banpet"
    display_name: str = "ITA เทศบาลตำบลบ้านเป็ด"
    quota: int = 300
    #: Seconds a "timeout" fault holds the answer (longer than the client's timeout)
    hang_seconds: float = 3.0
    rule: Callable[[int, dict], Any] = lambda n, body: None
    #: LINE users who are friends of the account (push to others: 400)
    friends: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    delivered: list[Push] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)
    link_tokens: dict[str, str] = field(default_factory=dict)
    #: The app's webhook URL, for the accountLink event the dialog sends
    webhook_url: str = ""
    webhook_answers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._accepted: dict[str, str] = {}  # retry key -> request id
        self.pushes_seen = 0
        self._server: ThreadingHTTPServer | None = None

    # -- server --------------------------------------------------------------------------------

    def start(self) -> None:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                emulator._handle(self, "GET")

            def do_POST(self):
                emulator._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def reset(self) -> None:
        with self._lock:
            self.rule = lambda n, body: None
            self.friends, self.blocked = set(), set()
            self.delivered, self.replies, self.webhook_answers = [], [], []
            self.link_tokens, self._accepted = {}, {}
            self.pushes_seen = 0
            self.webhook_url = ""

    # -- people ----------------------------------------------------------------------------------

    @staticmethod
    def new_user_id() -> str:
        return "U" + secrets.token_hex(16)

    def delivered_to(self, line_user_id: str) -> list[Push]:
        return [p for p in self.delivered if p.to == line_user_id]

    # -- webhooks ----------------------------------------------------------------------------------

    def sign(self, body: bytes, secret: str | None = None) -> str:
        digest = hmac.new((secret or self.secret).encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def send_events(
        self, url: str, events: list[dict], *, signature: str | None = None, secret: str | None = None
    ) -> tuple[int, str]:
        body = json.dumps({"destination": "Ubot", "events": events}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        sig = signature if signature is not None else self.sign(body, secret)
        if sig:
            headers["X-Line-Signature"] = sig
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    @staticmethod
    def event(kind: str, user_id: str, **extra) -> dict:
        """A webhook event object as LINE sends it (a new webhookEventId each time)."""
        event = {
            "type": kind,
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id},
            "webhookEventId": "01" + secrets.token_hex(12).upper(),
            "deliveryContext": {"isRedelivery": False},
        }
        if kind in ("message", "follow", "accountLink"):
            event["replyToken"] = secrets.token_hex(16)
        if kind == "message":
            event["message"] = {
                "type": "text",
                "id": str(secrets.randbelow(10**12)),
                "quoteToken": secrets.token_hex(8),
                "text": extra.pop("text", "เชื่อมบัญชี"),
            }
        if kind == "follow":
            event["follow"] = {"isUnblocked": extra.pop("unblocked", False)}
        event.update(extra)
        return event

    def follow(self, url: str, user_id: str) -> tuple[int, str]:
        self.friends.add(user_id)
        self.blocked.discard(user_id)
        return self.send_events(url, [self.event("follow", user_id)])

    def block(self, url: str, user_id: str) -> tuple[int, str]:
        self.blocked.add(user_id)
        return self.send_events(url, [self.event("unfollow", user_id)])

    # -- HTTP ----------------------------------------------------------------------------------------

    def _reply(self, handler, status: int, body: dict | str, headers: dict | None = None) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header(
            "Content-Type", "application/json" if not isinstance(body, str) else "text/html; charset=utf-8"
        )
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("x-line-request-id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        try:
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _handle(self, handler, method: str) -> None:
        url = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if url.path == "/dialog/bot/accountLink" and method == "GET":
            return self._account_link(handler, parse_qs(url.query))
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return self._reply(
                handler,
                401,
                {
                    "message": "Authentication failed. Confirm that the access token "
                    "in the authorization header is valid."
                },
            )
        body = json.loads(raw or b"{}")
        if url.path == "/v2/bot/message/push" and method == "POST":
            return self._push(handler, body)
        if url.path == "/v2/bot/message/reply" and method == "POST":
            with self._lock:
                self.replies.append(body)
            return self._reply(handler, 200, {"sentMessages": [{"id": str(secrets.randbelow(10**12))}]})
        if url.path.startswith("/v2/bot/user/") and url.path.endswith("/linkToken") and method == "POST":
            user_id = url.path.split("/")[4]
            token = secrets.token_urlsafe(24)
            with self._lock:
                self.link_tokens[token] = user_id
            return self._reply(handler, 200, {"linkToken": token})
        if url.path == "/v2/bot/info":
            return self._reply(
                handler,
                200,
                {
                    "userId": "Ubot",
                    "basicId": self.basic_id,
                    "displayName": self.display_name,
                    "chatMode": "bot",
                    "markAsReadMode": "auto",
                },
            )
        if url.path == "/v2/bot/message/quota":
            return self._reply(handler, 200, {"type": "limited", "value": self.quota})
        if url.path == "/v2/bot/message/quota/consumption":
            return self._reply(handler, 200, {"totalUsage": len(self.delivered)})
        return self._reply(handler, 404, {"message": "Not found"})

    def _push(self, handler, body: dict) -> None:
        key = handler.headers.get("X-Line-Retry-Key")
        with self._lock:
            self.pushes_seen += 1
            n = self.pushes_seen
            if key and key in self._accepted:
                return self._reply(
                    handler,
                    409,
                    {"message": "The retry key is already accepted", "sentMessages": []},
                    {"x-line-accepted-request-id": self._accepted[key]},
                )
        fault = self.rule(n, body)
        if isinstance(fault, tuple) and fault[0] == "status":
            _s, code, headers = fault
            message = {429: "The API rate limit has been exceeded. Try again later.", 500: "Internal server error"}.get(
                code, "error"
            )
            return self._reply(handler, code, {"message": message}, headers)
        if fault == "timeout":
            time.sleep(self.hang_seconds)
            return self._reply(handler, 500, {"message": "timed out"})
        messages = body.get("messages") or []
        to = body.get("to", "")
        if not 1 <= len(messages) <= 5:
            return self._reply(handler, 400, {"message": "The request body has 1 error(s)"})
        if to not in self.friends and to not in self.blocked:
            return self._reply(
                handler,
                400,
                {"message": "Failed to send messages", "details": [{"message": "invalid user", "property": "to"}]},
            )
        request_id = str(uuid.uuid4())
        with self._lock:
            if key and key in self._accepted:  # a racing retry of the same key
                return self._reply(
                    handler,
                    409,
                    {"message": "The retry key is already accepted"},
                    {"x-line-accepted-request-id": self._accepted[key]},
                )
            if key:
                self._accepted[key] = request_id
            if to not in self.blocked:  # accepted, but a blocked user receives nothing
                self.delivered.append(Push(to, messages, key, request_id))
        if fault == "timeout-after-accept":
            time.sleep(self.hang_seconds)
        return self._reply(handler, 200, {"sentMessages": [{"id": str(secrets.randbelow(10**12))} for _ in messages]})

    def _account_link(self, handler, query: dict) -> None:
        token = (query.get("linkToken") or [""])[0]
        nonce = (query.get("nonce") or [""])[0]
        with self._lock:
            user_id = self.link_tokens.pop(token, None)
        if user_id is None:
            return self._reply(handler, 400, "<html lang='th'><body><p>ลิงก์หมดอายุ</p></body></html>")
        event = self.event("accountLink", user_id, link={"result": "ok", "nonce": nonce})
        status, _text = self.send_events(self.webhook_url, [event])
        self.webhook_answers.append(status)
        return self._reply(
            handler,
            200,
            "<!doctype html><html lang='th'><head><title>LINE</title></head>"
            "<body><main><h1>เชื่อมบัญชีเรียบร้อย</h1></main></body></html>",
        )
