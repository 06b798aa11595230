"""`--users graph`: read the users the stack's assignments cover, live from Microsoft Graph (v1.0).

The same identity and cloud as the dynamic resources: the client is `GraphClient.from_environment`'s, with the
stack file's plain `azuread:*` settings as the stack config the providers would get, and its retries (429/503
Retry-After) and redaction. Only the properties the mappings, the
scoping filter and the scope read are selected (`$select`); every listing follows `@odata.nextLink` (only under the
Graph URL: the bearer token goes nowhere else).

* scope "assigned": each assigned user (`GET /users/{id or UPN}`, with its direct groups from
  `GET /users/{id}/memberOf`), and the direct members of each assigned group (`GET /groups/{id}/members`; a group
  given by name is found with `$filter=displayName eq '…'`). Members that are groups are not expanded: Entra does not
  provision members of nested groups, and a note says which were left out;
* scope "all": every user (`GET /users`, 999 a page).

What it reads becomes a snapshot in Graph's shape (`memberOf` filled with the assigned groups a user was listed
in), so the rest of the simulation is the one a file snapshot gets.
"""

from __future__ import annotations

import logging
import sys
from typing import Any
from urllib.parse import quote

from components.settings import is_object_id
from webex_scim.errors import EngineError, UsageError

from .attributes import select_for
from .run import needed_attributes
from .snapshot import Snapshot, from_graph_users
from .stack import SimulationStack, graph_url

SOURCE = "Microsoft Graph"


def client_for(stack: SimulationStack) -> Any:
    """A GraphClient for the stack's Graph, signed in as the dynamic resources sign in; UsageError when the
    credentials are incomplete (the message names the setting, never a value)."""
    from components.graph.auth import CredentialError
    from components.graph.client import GraphClient

    try:
        return GraphClient.from_environment(
            graph_url(stack),
            config=stack.azuread_config,  # the stack file's plain azuread:* settings, as the providers get them
            on_wait=lambda event: print(f"note: {event.message()}", file=sys.stderr),
        )
    except CredentialError as exc:
        raise UsageError(f"Microsoft Graph credentials: {exc}") from None


def read_from_graph(stack: SimulationStack, client: Any | None = None, also: frozenset[str] = frozenset()) -> Snapshot:
    """The users the stack's assignments cover; `also`: engine attributes to read beyond what the stack reads."""
    from components.graph.errors import GraphError

    select = ",".join(sorted(set(select_for(set(needed_attributes(stack)) | also)) | {"displayName"}))
    own = client is None
    # azure-identity logs each failed sign-in attempt as a warning; the one error below says it, with the fix.
    identity_log = logging.getLogger("azure.identity")
    level = identity_log.level
    identity_log.setLevel(logging.ERROR)
    client = client or client_for(stack)
    try:
        return _read(stack, client, select)
    except GraphError as exc:
        if exc.operation == "getToken":  # no sign-in: the set-up's to fix (exit 2), not a finding about users
            raise UsageError(
                f"--users graph: cannot sign in to Microsoft Graph ({exc.graph_message}); run `az login`, or set "
                "the azuread provider's ARM_* variables (ARM_TENANT_ID, ARM_CLIENT_ID, ...) as the program uses them"
            ) from None
        raise EngineError(f"reading users from Microsoft Graph failed: {exc}") from None
    finally:
        identity_log.setLevel(level)
        if own:
            client.close()


def _read(stack: SimulationStack, client: Any, select: str) -> Snapshot:

    notes: list[str] = []
    if stack.scope == "all":
        users = client.paged("listUsers", f"/users?$select={select}&$top=999")
        return _snapshot(users, notes)
    found: dict[str, dict[str, Any]] = {}
    for principal in stack.principals:
        if principal.kind == "user":
            path = f"/users/{quote(principal.ref, safe='@')}?$select={select}"
            user = _assigned(client, "getUser", path, f"assigned user {principal.ref}", notes)
            if user is None:
                continue
            groups = client.paged("listMemberOf", f"/users/{quote(str(user['id']))}/memberOf?$select=id,displayName")
            entry = found.setdefault(str(user["id"]).lower(), {**user, "memberOf": []})
            entry["memberOf"] += [g for g in groups if g.get("@odata.type") in (None, "#microsoft.graph.group")]
            continue
        for group in _groups(client, principal.ref, notes):
            for member in client.paged(
                "listMembers", f"/groups/{quote(group['id'])}/members?$select={select}&$top=999"
            ):
                kind = member.get("@odata.type")
                if kind == "#microsoft.graph.group":
                    notes.append(
                        f"group {member.get('displayName') or member.get('id')} is a member of assigned group "
                        f"{group.get('displayName')}: Entra does not provision members of nested groups"
                    )
                    continue
                if kind not in (None, "#microsoft.graph.user"):
                    continue  # devices, contacts, service principals: not users
                user = {k: v for k, v in member.items() if k != "@odata.type"}
                entry = found.setdefault(str(user.get("id")).lower(), {**user, "memberOf": []})
                entry["memberOf"].append({"id": group["id"], "displayName": group.get("displayName")})
    return _snapshot(list(found.values()), notes)


def _assigned(client: Any, operation: str, path: str, what: str, notes: list[str]) -> dict[str, Any] | None:
    """One assigned principal, read by id or UPN; None, and a note, when the directory has no such object."""
    from components.graph.errors import GraphError

    try:
        return client.call(operation, "GET", path, expect_json=True, replication=frozenset())
    except GraphError as exc:
        if exc.status != 404:
            raise
        notes.append(f"{what} is not in the directory (Graph answered 404)")
        return None


def _groups(client: Any, ref: str, notes: list[str]) -> list[dict[str, Any]]:
    if is_object_id(ref):
        group = _assigned(client, "getGroup", f"/groups/{ref}?$select=id,displayName", f"assigned group {ref}", notes)
        return [] if group is None else [group]
    name = ref.replace("'", "''")  # OData doubles a quote inside a string literal
    groups = client.paged(
        "listGroups", f"/groups?$filter=displayName eq '{quote(name, safe='')}'&$select=id,displayName"
    )
    if not groups:
        notes.append(f"assigned group {ref!r} is not in the directory (no group has that displayName)")
    return groups


def _snapshot(users: list[dict[str, Any]], notes: list[str]) -> Snapshot:
    snapshot = from_graph_users(SOURCE, users, "Microsoft Graph")
    snapshot.notes[:0] = notes
    return snapshot
