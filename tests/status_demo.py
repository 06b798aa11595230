"""`make status` against the loopback tenant: a job in the state you pick, and the command that reads it.

    .venv/bin/python -m tests.status_demo --job-state quarantine      # or healthy, escrows, paused, notrun, failed

starts the loopback Graph (tests/graph_server.py) on 127.0.0.1 with a deployed Cisco Webex job in that state and the
provisioning logs its cycles left, writes a stack file that adopts its service principal and talks to it
(`webex-scim:graphBaseUrl`), prints the `make status` line to run in another terminal, and serves until Ctrl-C.
`--forbid-logs` answers the logs with 403 (no AuditLog.Read.All); `--token-days N` puts the token's expiry N days out.
Nothing leaves the machine: the fixed test token is honoured for a loopback Graph only (components/graph/auth.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # graph_server imports its siblings by their bare names, as the tests do
    sys.path.insert(0, str(TESTS))

from graph_health import JOB_STATES  # noqa: E402
from graph_server import BEARER, GOOD_WEBEX_TOKEN, GraphTestServer  # noqa: E402

TOKEN_ENV = "WEBEX_SCIM_TEST_GRAPH_TOKEN"  # components/graph/auth.py TEST_TOKEN_ENV


@dataclass(frozen=True)
class Demo:
    server: GraphTestServer
    stack_file: Path
    job_id: str

    @property
    def env(self) -> dict[str, str]:
        return {TOKEN_ENV: BEARER}

    @property
    def command(self) -> str:
        return f"{TOKEN_ENV}={BEARER} make status CONFIG={shlex.quote(str(self.stack_file))}"


def stack_text(graph_url: str, sp_id: str, token_days: int) -> str:
    expires = (dt.date.today() + dt.timedelta(days=token_days)).isoformat()
    return f"""# The loopback demo stack: the dev stack, adopting the loopback tenant's Cisco Webex app.
config:
  webex-scim:orgId: 6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11
  webex-scim:notificationEmail: webex-admins@contoso.com
  webex-scim:tokenExpiresOn: "{expires}"
  webex-scim:graphBaseUrl: {graph_url}
  webex-scim:app:
    existingServicePrincipalObjectId: {sp_id}
  webex-scim:assignments:
    - user: pilot.user@contoso.com
"""


@contextmanager
def demo(state: str, directory: Path, *, forbid_logs: bool = False, token_days: int = 330) -> Iterator[Demo]:
    """The loopback tenant with a job in `state`, and a stack file in `directory` pointing at it."""
    with GraphTestServer() as server:
        job_id = server.add_job(status="Active")
        server.seed_job_health(job_id, state)
        server.save_credentials(
            "https://webexapis.com/identity/scim/6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11/v2", GOOD_WEBEX_TOKEN
        )
        if forbid_logs:
            server.health.forbid_logs = "Authorization_RequestDenied"
        stack_file = directory / f"Pulumi.loopback-{state}.yaml"
        stack_file.write_text(stack_text(server.base_url, server.sp_id, token_days), encoding="utf-8")
        yield Demo(server, stack_file, job_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.status_demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--job-state", choices=JOB_STATES, default="healthy")
    parser.add_argument("--forbid-logs", action="store_true", help="answer the provisioning logs with 403")
    parser.add_argument("--token-days", type=int, default=330, help="days until the token's recorded expiry")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="webex-scim-status-demo-") as tmp:
        with demo(args.job_state, Path(tmp), forbid_logs=args.forbid_logs, token_days=args.token_days) as run:
            print(f"loopback Graph at {run.server.base_url}: job {run.job_id} is {args.job_state}")
            print("in another terminal, from the project directory:")
            print(f"  {run.command}")
            print("  (add ARGS='--json -' or ARGS='--markdown status.md'; Ctrl-C here stops the tenant)", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
