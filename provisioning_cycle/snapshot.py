"""Read a directory snapshot in Microsoft Graph's own user shape, into users the simulation can evaluate.

Accepted, as a user gets them without editing:

* a JSON array of users: `az ad user list` (Azure CLI 2.37 and later read Microsoft Graph), or Graph's
  `GET /users?$select=…&$expand=memberOf` page saved from Graph Explorer: `{"value": [...]}` (a page that still has an
  `@odata.nextLink` is a partial directory, said in a note);
* CSV with Graph property names as headers (`id,userPrincipalName,accountEnabled,…`), collections as a JSON array or
  `;`-separated values, `onPremisesExtensionAttributes.extensionAttribute1` as a column, `memberOf` as a JSON array
  or `;`-separated group object IDs or names; the Entra portal's "Download users" file too, whose columns use the
  engine's names where they differ (`objectId` for `id`, `telephoneNumber`, `mobile`, …).

Group membership is Graph's `memberOf` expansion, `[{"id": …, "displayName": …}]` (directory roles and
administrative units in it are ignored: they are not groups). Properties the simulation does not use are ignored.
A snapshot that is not JSON or CSV, has the wrong shape, or holds one id twice stops the run with one message
naming the file and the place, and the fix (exit 2). A property of the wrong type on one user is that user's
problem, reported with the user, never a reason to drop them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.settings import is_object_id
from webex_scim.errors import UsageError
from webex_scim.userfiles import read_text

from .attributes import BOOLEAN, ENGINE_NAME, MULTI_VALUED, RENAMED, b2b_user_principal_name

MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024  # 1 GiB: some 1.5 million users in Graph's default shape
COLLECTIONS = frozenset({"businessPhones", "otherMails", "proxyAddresses"})
_GROUP_TYPES = {None, "#microsoft.graph.group"}


@dataclass(slots=True)
class SourceUser:
    """One user: Graph's id and UPN as read, the engine's attributes, direct group memberships (id, name)."""

    id: str
    upn: str | None
    attrs: dict[str, Any]
    groups: tuple[tuple[str | None, str | None], ...] = ()
    problems: list[str] = field(default_factory=list)
    deleted: bool = False


@dataclass
class Snapshot:
    source: str  # the file name, or "Microsoft Graph"
    users: list[SourceUser]
    properties: Counter[str]  # Graph property -> users that have a value for it
    notes: list[str] = field(default_factory=list)


def read_snapshot(path: Path, keep: frozenset[str] | None = None) -> Snapshot:
    """The users of a snapshot file, or UsageError (exit 2) naming what is wrong with it. With `keep` (engine
    attribute names), only those attributes are held per user (every property is still counted): what a simulation
    of one stack needs, a fraction of what an export carries."""
    where = f"--users {path}"
    content = read_text(path, label="--users", limit=MAX_SNAPSHOT_BYTES, example="users.json")
    if not content.strip():
        raise UsageError(
            f"{where}: is empty; export users with `az ad user list > users.json` or Graph Explorer's GET /users"
        )
    if path.suffix.lower() == ".csv":
        rows = _csv_users(content, where)
        return from_graph_users(
            path.name, [user for _, user in rows], where, labels=[label for label, _ in rows], keep=keep
        )
    try:
        if content.lstrip().startswith("["):
            # An array (az ad user list): read one user at a time, so 100,000 users are never all held twice.
            return from_graph_users(path.name, _array_items(content), where, keep=keep)
        doc = json.loads(content)
    except json.JSONDecodeError as exc:
        hint = (
            "; it looks like CSV: name the file *.csv"
            if content.lstrip()[:200].split("\n", 1)[0].count(",") >= 1 and not content.lstrip().startswith(("[", "{"))
            else ""
        )
        raise UsageError(
            f"{where}: is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}){hint}; export users with "
            "`az ad user list > users.json`, Graph Explorer's GET /users, or write CSV with Graph property names"
        ) from None
    del content
    notes: list[str] = []
    if isinstance(doc, dict) and isinstance(doc.get("value"), list):
        if doc.get("@odata.nextLink"):
            notes.append(
                f"{path.name} is one page of a longer Graph listing (it has an @odata.nextLink): users on later pages "
                "are not in this simulation; follow the links (or use `--users graph`) for the whole directory"
            )
        items = doc["value"]
    elif isinstance(doc, dict) and "id" in doc and "userPrincipalName" in doc:
        raise UsageError(f"{where}: holds one user object; put it in a list: [ {{...}} ]")
    else:
        found = (
            f"an object with keys {', '.join(sorted(map(str, doc))[:6])}"
            if isinstance(doc, dict)
            else type(doc).__name__
        )
        raise UsageError(f'{where}: expected a JSON array of users or Graph\'s {{"value": [...]}} page, found {found}')
    del doc
    snapshot = from_graph_users(path.name, _draining(items), where, keep=keep)
    snapshot.notes[:0] = notes
    return snapshot


_SPACE = re.compile(r"[ \t\n\r]*")


def _array_items(content: str) -> Iterator[Any]:
    """The items of a JSON array, decoded one at a time (json.JSONDecodeError, with its position, when it is not)."""
    decoder = json.JSONDecoder()
    pos = _SPACE.match(content, 0).end() + 1  # type: ignore[union-attr]  (the caller saw the "[")
    pos = _SPACE.match(content, pos).end()  # type: ignore[union-attr]
    if content.startswith("]", pos):
        pos += 1
    else:
        while True:
            item, pos = decoder.raw_decode(content, pos)
            yield item
            pos = _SPACE.match(content, pos).end()  # type: ignore[union-attr]
            if content.startswith(",", pos):
                pos = _SPACE.match(content, pos + 1).end()  # type: ignore[union-attr]
                continue
            if content.startswith("]", pos):
                pos += 1
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", content, pos)
    pos = _SPACE.match(content, pos).end()  # type: ignore[union-attr]
    if pos != len(content):
        raise json.JSONDecodeError("Extra data", content, pos)


def _draining(items: list[Any]) -> Iterator[Any]:
    """A list's items, each released as it is read (a large snapshot is not held twice)."""
    for index in range(len(items)):
        item, items[index] = items[index], None
        yield item


def from_graph_users(
    source: str,
    items: Iterable[Any],
    where: str,
    labels: list[str] | None = None,
    keep: frozenset[str] | None = None,
) -> Snapshot:
    """Graph-shaped user objects -> users; `labels` name each item in messages (CSV lines), else `users[i]`."""
    users: list[SourceUser] = []
    seen: dict[str, int] = {}
    properties: Counter[str] = Counter()
    pool: dict[str, str] = {}  # one str object per distinct value of the attributes many users share
    for index, raw in enumerate(items):
        label = labels[index] if labels is not None else f"{where}: users[{index}]"
        if not isinstance(raw, dict):
            raise UsageError(f"{label}: is {type(raw).__name__}, not a user object")
        ident = raw.get("id")
        if not isinstance(ident, str) or not ident.strip():
            if "objectId" in raw:
                raise UsageError(
                    f"{label}: has objectId but no id: that is Azure AD Graph's shape (Azure CLI before 2.37); "
                    "export again with a current `az ad user list`, or rename objectId to id"
                )
            raise UsageError(f"{label}: has no id (Graph's object ID); every user needs one")
        key = ident.strip().lower()
        if key in seen:
            first = labels[seen[key]] if labels is not None else f"users[{seen[key]}]"
            raise UsageError(
                f"{label} has the same id {ident!r} as {first.removeprefix(where + ', ').removeprefix(where + ': ')}; "
                "a directory holds each user once: remove the duplicate"
            )
        seen[key] = index
        users.append(_user(raw, label, properties, keep, pool))
    return Snapshot(source, users, properties)


_TEXT, _LIST, _PHONES, _BOOL, _EXTENSIONS, _MEMBER_OF, _DELETED = range(7)
# Graph property -> (how to read it, engine attribute)
_READ: dict[str, tuple[int, str]] = {
    **{prop: (_TEXT, engine) for prop, engine in ENGINE_NAME.items() if "." not in prop},
    **{prop: (_LIST, ENGINE_NAME[prop]) for prop in MULTI_VALUED},
    "businessPhones": (_PHONES, ENGINE_NAME["businessPhones"]),
    **{prop: (_BOOL, ENGINE_NAME[prop]) for prop in BOOLEAN},
    "onPremisesExtensionAttributes": (_EXTENSIONS, ""),
    "memberOf": (_MEMBER_OF, ""),
    "deletedDateTime": (_DELETED, ""),
}
_EXTENSION_NAMES = frozenset(n for n in ENGINE_NAME.values() if n.startswith("extensionAttribute"))
# Attributes whose values repeat across a directory (a department, a city): held once per distinct value.
SHARED_VALUES = frozenset(
    {"givenName", "jobTitle", "department", "companyName", "physicalDeliveryOfficeName", "city", "state", "country"}
    | {"usageLocation", "preferredLanguage", "userType", "employeeType", "postalCode", "streetAddress"}
    | _EXTENSION_NAMES
)


def _user(
    raw: dict[str, Any], label: str, properties: Counter[str], keep: frozenset[str] | None, pool: dict[str, str]
) -> SourceUser:
    attrs: dict[str, Any] = {}
    problems: list[str] = []
    groups: tuple[tuple[str | None, str | None], ...] = ()
    deleted = False
    for prop, value in raw.items():
        how = _READ.get(prop)
        if how is None:
            if not prop.startswith("extension_"):
                continue  # a property the simulation does not use
            how = (_TEXT, prop)  # a directory extension: one name in Graph and in the engine
        if value is None or value == "" or value == []:
            continue
        kind, engine = how
        if kind == _TEXT:
            if type(value) is str:  # the common case, first
                properties[prop] += 1
                if keep is None or engine in keep:
                    attrs[engine] = pool.setdefault(value, value) if engine in SHARED_VALUES else value
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attrs[engine] = str(value)
            else:
                problems.append(f"{prop}: {type(value).__name__} where Graph gives text; ignored")
                continue
        elif kind == _MEMBER_OF:
            groups = _groups(value, label)
            if groups:
                properties[prop] += 1
            continue
        elif kind == _EXTENSIONS:
            if not isinstance(value, dict):
                problems.append("onPremisesExtensionAttributes: not an object; its extension attributes are ignored")
                continue
            for name, item in value.items():
                if isinstance(item, str) and item and name in _EXTENSION_NAMES:
                    properties[f"onPremisesExtensionAttributes.{name}"] += 1
                    if keep is None or name in keep:
                        attrs[name] = pool.setdefault(item, item)
            continue
        elif kind == _DELETED:
            deleted = True
            continue
        elif kind == _BOOL:
            if isinstance(value, bool):
                attrs[engine] = value
            elif isinstance(value, str) and value.strip().lower() in ("true", "false"):
                attrs[engine] = value.strip().lower() == "true"
            else:
                problems.append(f"{prop}: {value!r} is not true or false; treated as not set")
                continue
        else:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{prop}: not a list of text; ignored")
                continue
            if kind == _PHONES:
                # Graph keeps one number here ("only one number can be set for this property").
                attrs[engine] = value[0]
                if len(value) > 1:
                    problems.append(f"businessPhones holds {len(value)} numbers; Graph allows one, the first is used")
            else:
                attrs[engine] = list(value)
        properties[prop] += 1
    upn = attrs.get("userPrincipalName")
    if upn is not None:
        attrs["originalUserPrincipalName"] = upn
        if "#EXT#" in upn:
            attrs["userPrincipalName"] = b2b_user_principal_name(upn)
    attrs["IsSoftDeleted"] = False  # computed: false for every user the engine provisions (attributes.py)
    return SourceUser(raw["id"], upn, attrs, groups, problems, deleted)


def _groups(value: Any, label: str) -> tuple[tuple[str | None, str | None], ...]:
    if not isinstance(value, list):
        raise UsageError(f'{label}.memberOf: expected Graph\'s list of groups [{{"id": …, "displayName": …}}]')
    found: list[tuple[str | None, str | None]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise UsageError(f"{label}.memberOf[{i}]: expected a group object with id and displayName")
        if item.get("@odata.type") not in _GROUP_TYPES:
            continue  # a directory role or administrative unit: not a group, never assigned to an app
        ident, name = item.get("id"), item.get("displayName")
        if not isinstance(ident, str) and not isinstance(name, str):
            raise UsageError(f"{label}.memberOf[{i}]: a group needs an id or a displayName")
        found.append((ident if isinstance(ident, str) else None, name if isinstance(name, str) else None))
    return tuple(found)


# -- CSV ----------------------------------------------------------------------------------------------------------


def _csv_users(content: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UsageError(f"{where}: is empty; the first line names Graph properties (id,userPrincipalName,…)") from None
    except csv.Error as exc:
        raise UsageError(f"{where}, line 1: not CSV ({exc})") from None
    names = [_graph_column(h.strip().lstrip("\ufeff"), header) for h in header]
    doubled = [n for n, c in Counter(names).items() if c > 1 and n]
    if doubled:
        raise UsageError(f"{where}, line 1: column {doubled[0]!r} appears twice; keep one")
    if "id" not in names:
        raise UsageError(
            f"{where}, line 1: no `id` column; the header names Graph user properties, e.g. "
            "id,userPrincipalName,displayName,accountEnabled,memberOf"
        )
    users: list[tuple[str, dict[str, Any]]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise UsageError(f"{where}, line {line}: {len(row)} fields where the header has {len(names)}")
            label = f"{where}, line {line}"
            users.append((label, _csv_user(dict(zip(names, row, strict=True)), label)))
    except csv.Error as exc:
        raise UsageError(f"{where}, line {reader.line_num}: not CSV ({exc})") from None
    return users


# The Entra portal's "Download users" CSV names some columns as the engine (Azure AD Graph) does: read each as the
# Graph property holding it, unless the file has that property's column too.
_ENGINE_COLUMNS = {engine: prop for engine, prop in RENAMED.items() if "." not in prop}


def _graph_column(name: str, header: list[str]) -> str:
    prop = _ENGINE_COLUMNS.get(name)
    return prop if prop and prop not in [h.strip() for h in header] else name


def _csv_user(row: dict[str, str], where: str) -> dict[str, Any]:
    user: dict[str, Any] = {}
    extensions: dict[str, str] = {}
    for name, cell in row.items():
        cell = cell.strip()
        if not cell or not name:
            continue
        if name.startswith("onPremisesExtensionAttributes."):
            extensions[name.split(".", 1)[1]] = cell
        elif name in COLLECTIONS or name in MULTI_VALUED:
            user[name] = _json_cell(cell, name, where) if cell.startswith("[") else [v.strip() for v in cell.split(";")]
        elif name == "memberOf":
            user[name] = (
                _json_cell(cell, name, where)
                if cell.startswith("[")
                else [
                    {"id": v.strip()} if is_object_id(v.strip()) else {"displayName": v.strip()}
                    for v in cell.split(";")
                ]
            )
        elif name == "onPremisesExtensionAttributes":
            user[name] = _json_cell(cell, name, where)
        else:
            user[name] = cell
    if extensions:
        user.setdefault("onPremisesExtensionAttributes", {}).update(extensions)
    return user


def _json_cell(cell: str, name: str, where: str) -> Any:
    try:
        return json.loads(cell)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{where}: column {name}: not JSON ({exc.msg}); write a JSON array or ;-separated values"
        ) from None
