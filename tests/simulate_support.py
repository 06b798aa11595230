"""One helper for the simulation's tests: a stack file and a snapshot in tmp_path, `python -m webex_scim simulate`
run on them in-process, its JSON document read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from webex_scim.cli import main

ORG = "6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11"
BASE: dict[str, Any] = {"orgId": ORG, "notificationEmail": "webex-admins@contoso.com", "rollout": "full"}
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WEBEX = "urn:scim:schemas:extension:cisco:webexidentity:2.0:User"


def user(n: int, **props: Any) -> dict[str, Any]:
    """A Graph user, `user<n>@contoso.com`, with the properties the default mappings read."""
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "userPrincipalName": f"user{n}@contoso.com",
        "displayName": f"User {n}",
        "givenName": "User",
        "surname": str(n),
        "accountEnabled": True,
        **props,
    }


def group(name: str, n: int = 1) -> dict[str, str]:
    return {"@odata.type": "#microsoft.graph.group", "id": f"9f000000-0000-4000-8000-{n:012d}", "displayName": name}


def stack_file(tmp_path: Path, **settings: Any) -> Path:
    path = tmp_path / "Pulumi.sim.yaml"
    values = {**BASE, **settings}
    path.write_text(json.dumps({"config": {f"webex-scim:{k}": v for k, v in values.items() if v is not None}}))
    return path


def snapshot_file(tmp_path: Path, users: list[dict[str, Any]], name: str = "users.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(users))
    return path


def simulate(tmp_path: Path, capsys: Any, users: list[dict[str, Any]], *extra: str, **settings: Any) -> tuple[int, Any]:
    """(exit code, the JSON document) of a simulation of `users` with a stack of BASE + settings."""
    code, doc, _ = simulate_full(tmp_path, capsys, users, *extra, **settings)
    return code, doc


def simulate_full(
    tmp_path: Path, capsys: Any, users: list[dict[str, Any]], *extra: str, **settings: Any
) -> tuple[int, Any, str]:
    """(exit code, the JSON document, stderr)."""
    code = main(
        [
            "simulate",
            "--config-file",
            str(stack_file(tmp_path, **settings)),
            "--users",
            str(snapshot_file(tmp_path, users)),
            "--json",
            "-",
            *extra,
        ]
    )
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


def by_upn(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["userPrincipalName"]: u for u in doc["users"]}


def case_id(value: object) -> str | None:
    """A parametrized case's id that `make mutation` can hand back to pytest: ASCII, without backslashes (mutmut runs
    each mutant's tests by id, and an escaped id pytest cannot find again would count as a kill). None for a value
    that is not text: pytest's own id then."""
    if not isinstance(value, str):
        return None
    return value.encode("unicode_escape").decode("ascii").replace("\\", "/")
