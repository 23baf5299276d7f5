"""Tests marked `xdist_group(name)` run on one worker (`--dist loadgroup`, as configured)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MODULE = """
import os, pytest
pytestmark = pytest.mark.xdist_group("together")

@pytest.mark.parametrize("n", range(8))
def test_member(n, tmp_path_factory):
    out = os.environ["GROUP_OUT"]
    with open(out, "a") as f:
        f.write(os.environ.get("PYTEST_XDIST_WORKER", "none") + "\\n")
"""


def test_a_group_runs_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(MODULE)
    (tmp_path / "test_spread.py").write_text("def test_a(): pass\n\ndef test_b(): pass\n")
    out = tmp_path / "workers.txt"
    env = {**os.environ, "GROUP_OUT": str(out), "PYTHONPATH": str(Path(__file__).parent)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "3",
            "--dist",
            "loadgroup",
            "-p",
            "xdist_group_shim",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    workers = out.read_text().split()
    assert len(workers) == 8
    assert len(set(workers)) == 1, workers
