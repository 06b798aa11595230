"""docs/match.md's "Try it on loopback" runs as written: `make match-demo` serves the seeded org, the documented
`make match` reads it, and what it prints is what the page shows (only the port differs: the test asks the system for
a free one instead of 8765, which another run may hold)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess

from tests.support import ROOT
from tests.webex_openapi import documented_user

DOC = (ROOT / "docs" / "match.md").read_text()
DEMO = ROOT / "docs" / "match-demo"


def _block(after: str, fence: str) -> str:
    return DOC.split(after, 1)[1].split(f"```{fence}\n", 1)[1].split("```", 1)[0]


def test_the_documented_example_runs_as_written_and_prints_what_the_page_shows():
    lines = [line.split("  #", 1)[0].strip() for line in _block("## Try it on loopback", "sh").splitlines()]
    serve, export, match = lines
    assert serve == "make match-demo" and export == "export WEBEX_SCIM_TOKEN=demo-token"
    # As a user's shell runs them: not as a sub-make of `make test` (which would announce its directories).
    shell = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    server = subprocess.Popen(
        [*shlex.split(serve), "-s", "ARGS=--port 0"],
        cwd=ROOT,
        env=shell,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        announced = server.stdout.readline()
        port = re.search(r"http://127\.0\.0\.1:(\d+)/v2", announced)
        assert port, announced
        env = {**shell, "WEBEX_SCIM_TOKEN": export.split("=", 1)[1]}
        run = subprocess.run(
            ["bash", "-c", match.replace(":8765/", f":{port[1]}/")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    printed = [line for line in run.stdout.splitlines() if not line.startswith(".venv/bin/python -m webex_scim")]
    shown = _block("What it prints", "text").replace(":8765/", f":{port[1]}/")
    assert "\n".join(printed) + "\n" == shown
    assert run.returncode == 2 and "Error 1" in run.stderr  # make's word for the command's exit 1
    assert "demo-token" not in run.stdout + run.stderr


def test_the_demo_org_serves_webex_s_documented_user_as_webex_writes_it():
    org = json.loads((DEMO / "webex-org.json").read_text())
    assert documented_user() in org
