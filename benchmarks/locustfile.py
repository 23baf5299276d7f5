"""Load test: staff of many organizations using the app at once (run by benchmarks/loadtest.py).

Each simulated user logs in through the login form as an owner or a manager of
its own organization (BENCH_USERS: a JSON file of {email, plan_id, measure_id,
step_id, slug, fiscal_year}), then browses: dashboard, my steps, a measure, a
step, and now and then the public page — with a think time of 1–3 s.
"""

from __future__ import annotations

import itertools
import json
import os
import re

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

USERS = json.loads(open(os.environ["BENCH_USERS"], encoding="utf-8").read())
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-pass-2570")
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
_next_user = itertools.cycle(USERS)


class Staff(FastHttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.me = next(_next_user)
        page = self.client.get("/login", name="/login")
        token = TOKEN_RE.search(page.text).group(1)
        with self.client.post(
            "/login",
            data={"email": self.me["email"], "password": PASSWORD, "csrf_token": token},
            name="/login [POST]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login failed: HTTP {response.status_code}")

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/", name="/ (dashboard)")

    @task(3)
    def my_steps(self) -> None:
        self.client.get("/my-steps", name="/my-steps")

    @task(2)
    def measure(self) -> None:
        self.client.get(f"/measures/{self.me['measure_id']}", name="/measures/<id>")

    @task(2)
    def step(self) -> None:
        self.client.get(f"/steps/{self.me['step_id']}", name="/steps/<id>")

    @task(1)
    def public(self) -> None:
        if self.me.get("public_path"):
            self.client.get(self.me["public_path"], name="/p/<slug>/<fy>")
