"""A loopback Microsoft Graph (synchronization API subset) for contract tests over real HTTP.

`ThreadingHTTPServer` on 127.0.0.1, port 0. It implements what the dynamic resources call, records every request
(method, path, headers, body), and injects faults on demand: a status with or without `Retry-After` (429, 503, 500,
replication 404/409), a dropped connection, and edits of a stored schema or of a job's on/off state behind the
client's back (drift).

Jobs move between states as in Graph: POST jobs creates one with schedule.state Disabled and status.code NotRun;
start makes both Active (clearing a pause or a quarantine); pause sets status.code Paused and schedule.state to
`pause_schedule_state` (Disabled by default; set it to "Paused" to check a caller does not depend on which).

The default schema is a compact but realistic Cisco Webex job schema: one synchronization rule with a User -> Webex
user object mapping (the Webex default mappings plus template extras), a Group object mapping, and two directory
definitions, plus fields this project must carry over untouched (metadata, an unknown future field).
"""

from __future__ import annotations

import copy
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from loopback import LoopbackServer

SP_ID = "5d1f3a6e-8c42-4b7a-9e0d-2f6b8a1c3e57"
TEMPLATE_ID = "ciscowebex"  # made up for the test server: the real id is looked up, never assumed
RULE_ID = "8b7ddb29-52d2-45b6-9a21-5a8f3c1e0b77"
BEARER = "graph-test-bearer-token"
GOOD_WEBEX_TOKEN = "good-webex-token"
USER_TARGET_OBJECT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_TARGET_OBJECT = "urn:ietf:params:scim:schemas:core:2.0:Group"


def attribute_source(name: str) -> dict[str, Any]:
    return {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}


def constant_source(value: str) -> dict[str, Any]:
    return {"expression": f'"{value}"', "name": value, "parameters": [], "type": "Constant"}


def mapping(target: str, source: dict[str, Any], *, matching: int = 0, flow: str = "Always") -> dict[str, Any]:
    return {
        "defaultValue": None,
        "exportMissingReferences": False,
        "flowBehavior": "FlowWhenChanged",
        "flowType": flow,
        "matchingPriority": matching,
        "source": source,
        "targetAttributeName": target,
    }


def _switch_active() -> dict[str, Any]:
    # What Graph returns for the Webex template's `active` mapping: the expression plus its parsed parameters.
    return {
        "expression": 'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
        "name": "Switch",
        "parameters": [
            {"key": "source", "value": attribute_source("IsSoftDeleted")},
            {"key": "false", "value": constant_source("True")},
            {"key": "true", "value": constant_source("False")},
        ],
        "type": "Function",
    }


def _attribute_definitions(names: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "anchor": name in {"objectId", "id"},
            "caseExact": False,
            "defaultValue": None,
            "flowNullValues": False,
            "metadata": [],
            "multivalued": False,
            "mutability": "ReadWrite",
            "name": name,
            "referencedObjects": [],
            "required": name in {"userName", "displayName"},
            "type": "Boolean" if name in {"active", "IsSoftDeleted", "accountEnabled"} else "String",
        }
        for name in names
    ]


def default_webex_schema() -> dict[str, Any]:
    """The schema a fresh Cisco Webex provisioning job reports (compact, shaped like Graph's)."""
    user_mappings = [
        mapping("userName", attribute_source("userPrincipalName"), matching=1),
        mapping("active", _switch_active()),
        mapping("displayName", attribute_source("displayName")),
        mapping("name.givenName", attribute_source("givenName")),
        mapping("name.familyName", attribute_source("surname")),
        mapping("externalId", attribute_source("objectId")),
        # Template extras this project does not manage: they must survive every PUT.
        mapping("title", attribute_source("jobTitle")),
        mapping('emails[type eq "work"].value', attribute_source("mail")),
        mapping("nickName", attribute_source("mailNickname")),
        mapping('phoneNumbers[type eq "work"].value', attribute_source("telephoneNumber")),
    ]
    group_mappings = [
        mapping("displayName", attribute_source("displayName"), matching=1),
        mapping("externalId", attribute_source("objectId")),
        mapping("members", attribute_source("members")),
    ]
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('x')/synchronization/jobs('y')/schema/$entity",
        "id": TEMPLATE_ID,
        "version": "Date:2024-05-02T10:11:12Z~Version:1",
        "synchronizationRules": [
            {
                "editable": True,
                "id": RULE_ID,
                "name": "USER_GROUP_OUTBOUND",
                "priority": 1,
                "sourceDirectoryName": "Azure Active Directory",
                "targetDirectoryName": "Cisco Webex",
                "metadata": [{"key": "defaultSourceObjectMappings", "value": "User,Group"}],
                "containerFilter": {"includedContainers": []},
                "groupFilter": {"includedGroups": []},
                "objectMappings": [
                    {
                        "attributeMappings": user_mappings,
                        "enabled": True,
                        "flowTypes": "Add, Update, Delete",
                        "metadata": [{"key": "Disposition", "value": "Normal"}],
                        "name": "Provision Microsoft Entra ID Users",
                        "scope": None,
                        "sourceObjectName": "User",
                        "targetObjectName": USER_TARGET_OBJECT,
                    },
                    {
                        "attributeMappings": group_mappings,
                        "enabled": True,
                        "flowTypes": "Add, Update, Delete",
                        "metadata": [],
                        "name": "Provision Microsoft Entra ID Groups",
                        "scope": None,
                        "sourceObjectName": "Group",
                        "targetObjectName": GROUP_TARGET_OBJECT,
                    },
                ],
            }
        ],
        "directories": [
            {
                "id": "AzureActiveDirectory",
                "name": "Azure Active Directory",
                "discoverabilities": "AttributeNames, AttributeDataTypes",
                "discoveryDateTime": None,
                "readOnly": True,
                "version": None,
                "objects": [
                    {
                        "name": "User",
                        "attributes": _attribute_definitions(
                            [
                                "objectId",
                                "userPrincipalName",
                                "mail",
                                "displayName",
                                "givenName",
                                "surname",
                                "jobTitle",
                                "department",
                                "companyName",
                                "mailNickname",
                                "telephoneNumber",
                                "IsSoftDeleted",
                                "accountEnabled",
                            ]
                        ),
                        "metadata": [],
                        "supportedApis": [],
                    },
                    {
                        "name": "Group",
                        "attributes": _attribute_definitions(["objectId", "displayName", "members"]),
                        "metadata": [],
                        "supportedApis": [],
                    },
                ],
            },
            {
                "id": "CiscoWebex",
                "name": "Cisco Webex",
                "discoverabilities": "None",
                "discoveryDateTime": None,
                "readOnly": False,
                "version": "1.0",
                "objects": [
                    {
                        "name": USER_TARGET_OBJECT,
                        "attributes": _attribute_definitions(
                            [
                                "userName",
                                "active",
                                "displayName",
                                "name.givenName",
                                "name.familyName",
                                "externalId",
                                "title",
                                "nickName",
                                'emails[type eq "work"].value',
                                'phoneNumbers[type eq "work"].value',
                                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                            ]
                        ),
                        "metadata": [],
                        "supportedApis": [],
                    },
                    {
                        "name": GROUP_TARGET_OBJECT,
                        "attributes": _attribute_definitions(["displayName", "externalId", "members"]),
                        "metadata": [],
                        "supportedApis": [],
                    },
                ],
            },
        ],
        "futureGraphField": {"kept": ["exactly", 1, 2.5, None, True]},
    }


def default_templates() -> list[dict[str, Any]]:
    return [
        {
            "id": TEMPLATE_ID,
            "applicationId": "0b9a0bda-0f6d-4ea2-9fa2-3e1b1a0e3b2c",
            "default": True,
            "description": None,
            "discoverable": True,
            "factoryTag": TEMPLATE_ID,
            "metadata": [],
        }
    ]


# -- a tiny parser for parseExpression ---------------------------------------------------------------------------


class _ParseError(ValueError):
    pass


def _parse(text: str) -> dict[str, Any]:
    """Entra expression -> attributeMappingSource, re-spaced the way Graph does (`, ` between arguments)."""
    pos = 0

    def skip() -> None:
        nonlocal pos
        while pos < len(text) and text[pos].isspace():
            pos += 1

    def node() -> dict[str, Any] | None:
        nonlocal pos
        skip()
        if pos >= len(text):
            raise _ParseError("unexpected end of expression")
        char = text[pos]
        if char in ",)":
            return None  # an empty argument, as in Switch([a], , "x", "y")
        if char == "[":
            end = text.find("]", pos)
            if end < 0:
                raise _ParseError(f"unclosed '[' at {pos + 1}")
            name = text[pos + 1 : end]
            pos = end + 1
            return attribute_source(name)
        if char == '"':
            out, pos = [], pos + 1
            while pos < len(text) and text[pos] != '"':
                if text[pos] == "\\" and pos + 1 < len(text):
                    pos += 1
                out.append(text[pos])
                pos += 1
            if pos >= len(text):
                raise _ParseError("unclosed string")
            pos += 1
            value = "".join(out)
            return {"expression": json.dumps(value), "name": value, "parameters": [], "type": "Constant"}
        match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, pos)
        if not match:
            raise _ParseError(f"unexpected {char!r} at {pos + 1}")
        name, pos = match.group(0), match.end()
        skip()
        if pos >= len(text) or text[pos] != "(":
            raise _ParseError(f"expected '(' after {name}")
        pos += 1
        args: list[dict[str, Any] | None] = []
        skip()
        if pos < len(text) and text[pos] == ")":
            pos += 1
        else:
            while True:
                args.append(node())
                skip()
                if pos < len(text) and text[pos] == ",":
                    pos += 1
                    continue
                if pos < len(text) and text[pos] == ")":
                    pos += 1
                    break
                raise _ParseError(f"expected ',' or ')' at {pos + 1}")
        spelled = ", ".join("" if a is None else a["expression"] for a in args)
        return {
            "expression": f"{name}({spelled})".replace(",  ", ", "),
            "name": name,
            "parameters": [{"key": f"p{i}", "value": a} for i, a in enumerate(args) if a is not None],
            "type": "Function",
        }

    result = node()
    skip()
    if result is None or pos != len(text):
        raise _ParseError(f"unexpected trailing text at {pos + 1}")
    return result


def _evaluate_values(node: dict[str, Any], properties: dict[str, Any]) -> list[str]:
    """evaluationResult: the value as a list of strings (empty when null)."""
    value = _evaluate(node, properties)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _evaluate(node: dict[str, Any], properties: dict[str, Any]) -> Any:
    """A minimal evaluator of a parsed expression: the functions the simulation's Graph-check tests use (written
    from Microsoft's reference independently of provisioning_cycle, so the two can disagree)."""
    if node["type"] == "Attribute":
        return properties.get(node["name"])
    if node["type"] == "Constant":
        return node["name"]
    args: list[Any] = [None] * (1 + max((int(p["key"][1:]) for p in node["parameters"]), default=-1))
    for p in node["parameters"]:
        args[int(p["key"][1:])] = _evaluate(p["value"], properties)
    name = node["name"]
    if name == "Join":
        return str(args[0]).join(str(a) for a in args[1:] if a not in (None, ""))
    if name == "Append":
        return None if args[0] is None else f"{args[0]}{args[1]}"
    if name in ("ToLower", "ToUpper"):
        return None if args[0] is None else (str(args[0]).lower() if name == "ToLower" else str(args[0]).upper())
    if name == "Switch":
        source = "" if args[0] is None else str(args[0])
        for key, value in zip(args[2::2], args[3::2], strict=False):
            if str(key) == source:
                return value
        return args[1]
    raise _ParseError(f"the test server does not evaluate {name}()")


# -- server ------------------------------------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    status: int | None = None  # None with drop=True: close the connection without answering
    retry_after: str | None = None
    drop: bool = False
    times: int = 1
    method: str | None = None
    path_contains: str | None = None
    code: str = "TooManyRequests"
    message: str = "injected fault"
    # Answer shape, for faults that are not Graph errors: extra headers (a redirect's Location), a raw body with its
    # Content-Type (an HTML proxy page), a wait before answering, and a body sent one byte per `trickle` seconds.
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None
    content_type: str | None = None
    delay: float = 0.0
    trickle: float | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_contains is None or self.path_contains in path
        )


@dataclass(frozen=True)
class OnDemand:
    """What provisionOnDemand answers for one object: Success, Skipped or Failure, with Graph's reason."""

    result: str = "Success"
    error_code: str | None = None
    message: str | None = None
    upn: str | None = None


# An object nobody configured is not assigned to the app: Graph skips it (the provisioning logs' SkipReason).
NOT_ASSIGNED = OnDemand(
    "Skipped", "NotEffectivelyEntitled", "The user is not assigned to the application or is out of scope."
)


@dataclass
class _State:
    bearer: str
    webex_token: str
    templates: list[dict[str, Any]]
    sp_ids: set[str]
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    log: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    pause_schedule_state: str = "Disabled"
    # Collections (templates, jobs, filterOperators) answer in pages of this many items when set, with a nextLink.
    page_size: int | None = None
    restarts: list[tuple[str, list[str]]] = field(default_factory=list)  # (job id, resetScope names) per restart
    on_demand: dict[str, OnDemand] = field(default_factory=dict)  # provisionOnDemand outcome per object id
    filter_operators: list[dict[str, Any]] = field(default_factory=lambda: filter_operators())
    # parseExpression's evaluationResult forced per expression text: a service whose answer differs from ours.
    evaluations: dict[str, list[str]] = field(default_factory=dict)
    # The directory half of the tenant (tests/graph_directory.py), answering first when attached.
    directory: Any = None
    # The health half (tests/graph_health.py): provisioning logs, answering first when attached.
    health: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_PREFIX = "/v1.0"
_SP = r"/servicePrincipals/(?P<sp>[^/]+)/synchronization"
_JOB = _SP + r"/jobs/(?P<job>[^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(f"^{_SP}/templates$"), "templates"),
    ("GET", re.compile(f"^{_SP}/jobs$"), "list_jobs"),
    ("POST", re.compile(f"^{_SP}/jobs$"), "create_job"),
    ("PUT", re.compile(f"^{_SP}/secrets$"), "put_secrets"),
    ("GET", re.compile(f"^{_JOB}$"), "get_job"),
    ("GET", re.compile(f"^{_JOB}/schema$"), "get_schema"),
    ("GET", re.compile(f"^{_JOB}/schema/filterOperators$"), "filter_operators"),
    ("PUT", re.compile(f"^{_JOB}/schema$"), "put_schema"),
    ("DELETE", re.compile(f"^{_JOB}/schema$"), "delete_schema"),
    ("POST", re.compile(f"^{_JOB}/schema/parseExpression$"), "parse_expression"),
    ("POST", re.compile(f"^{_JOB}/validateCredentials$"), "validate_credentials"),
    ("POST", re.compile(f"^{_JOB}/start$"), "start"),
    ("POST", re.compile(f"^{_JOB}/restart$"), "restart"),
    ("POST", re.compile(f"^{_JOB}/pause$"), "pause"),
    ("POST", re.compile(f"^{_JOB}/provisionOnDemand$"), "provision_on_demand"),
]


# synchronizationJobRestartCriteria.resetScope names (Graph v1.0).
RESET_SCOPES = frozenset(
    {"None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes"}
)


def graph_error(code: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2024-05-02T10:11:12", "request-id": "req-0001", "client-request-id": "req-0001"},
        }
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the request log is the record
        return

    def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("request-id", "req-0001")
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        with state.lock:
            state.log.append(Recorded(self.command, path, dict(self.headers.items()), body, query))
            fault = next((f for f in state.faults if f.times > 0 and f.matches(self.command, path)), None)
            if fault is not None:
                fault.times -= 1
        if fault is not None:
            if fault.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._reply_fault(fault)
            return
        if self.headers.get("Authorization") != f"Bearer {state.bearer}":
            self._reply(401, graph_error("InvalidAuthenticationToken", "Access token is empty or invalid."))
            return
        if not path.startswith(_PREFIX):
            self._reply(404, graph_error("BadRequest", "Invalid version."))
            return
        route = path[len(_PREFIX) :]
        if state.health is not None:
            answered = state.health.handle(self.command, route, query, None)
            if answered is not None:
                self._reply(*answered)
                return
        if state.directory is not None:
            try:
                parsed_body = json.loads(body) if body else None
            except ValueError:
                parsed_body = None
            answered = state.directory.handle(self.command, route, query, parsed_body)
            if answered is not None:
                self._reply(*answered)
                return
        for method, pattern, name in _ROUTES:
            match = pattern.match(route)
            if match and method == self.command:
                params = match.groupdict()
                params["query"], params["route"] = query, route
                if params.get("sp") not in state.sp_ids:
                    self._reply(
                        404, graph_error("Request_ResourceNotFound", f"Resource '{params.get('sp')}' does not exist.")
                    )
                    return
                if "job" in params and params["job"] not in state.jobs:
                    self._reply(404, graph_error("ResourceNotFound", f"Job '{params['job']}' was not found."))
                    return
                try:
                    parsed = json.loads(body) if body else None
                except ValueError:
                    self._reply(400, graph_error("BadRequest", "Request body is not JSON."))
                    return
                status, reply = getattr(self.server, f"op_{name}")(params, parsed)
                self._reply(status, reply)
                return
        self._reply(405 if any(p.match(route) for _, p, _ in _ROUTES) else 404, graph_error("BadRequest", "No route."))

    def _reply_fault(self, fault: Fault) -> None:
        time.sleep(fault.delay)
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        headers.update(fault.headers)
        if fault.raw_body is None:
            payload = json.dumps(graph_error(fault.code, fault.message)).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            payload = fault.raw_body
            if fault.content_type:
                headers["Content-Type"] = fault.content_type
        self.send_response(int(fault.status or 500))
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if fault.trickle is None:
            self.wfile.write(payload)
            return
        try:
            for byte in payload:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(fault.trickle)
        except OSError:  # the client gave up on the trickle: that is the point
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State

    # Each op_* returns (status, JSON body or None); they run with the request's params and parsed body.

    def op_templates(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, {"@odata.context": "…/templates", **self.page(p, copy.deepcopy(self.state.templates))}

    def op_list_jobs(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            jobs = copy.deepcopy(list(self.state.jobs.values()))
        return 200, self.page(p, jobs)

    def page(self, p: dict[str, str], items: list[Any]) -> dict[str, Any]:
        """`{"value": …}`, one page of `page_size` items with an absolute `@odata.nextLink` when paging is on."""
        size = self.state.page_size
        if not size:
            return {"value": items}
        skip = int(parse_qs(p.get("query") or "").get("$skiptoken", ["0"])[0])
        reply: dict[str, Any] = {"value": items[skip : skip + size]}
        if skip + size < len(items):
            host, port = self.server_address[:2]
            reply["@odata.nextLink"] = f"http://{host}:{port}{_PREFIX}{p['route']}?$skiptoken={skip + size}"
        return reply

    def op_create_job(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        template = (body or {}).get("templateId")
        if template not in {t["id"] for t in self.state.templates}:
            return 400, graph_error("BadRequest", f"Template '{template}' not found.")
        job_id = f"{template}.{uuid.uuid4().hex}.{uuid.uuid4()}"
        self.add_job(job_id)
        return 201, copy.deepcopy(self.state.jobs[job_id])

    def op_put_secrets(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            self.state.secrets[p["sp"]] = list((body or {}).get("value") or [])
        return 204, None

    def op_get_job(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            return 200, copy.deepcopy(self.state.jobs[p["job"]])

    def op_get_schema(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            return 200, copy.deepcopy(self.state.schemas[p["job"]])

    def op_filter_operators(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            return 200, self.page(p, copy.deepcopy(self.state.filter_operators))

    def op_put_schema(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            operators = {o["name"] for o in self.state.filter_operators}
        problem = _schema_problem(body) or _schema_reference_problem(body, operators)
        if problem:
            return 400, graph_error("BadRequest", problem)
        with self.state.lock:
            self.state.schemas[p["job"]] = copy.deepcopy(body)
        return 204, None

    def op_delete_schema(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            self.state.schemas[p["job"]] = default_webex_schema()
        return 204, None

    def op_parse_expression(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        expression = str((body or {}).get("expression") or "")
        try:
            parsed = _parse(expression)
        except _ParseError as error:
            return 200, {
                "parsingSucceeded": False,
                "parsedExpression": None,
                "error": {"code": "ParseError", "message": str(error)},
            }
        test_input = (body or {}).get("testInputObject")
        if not isinstance(test_input, dict):
            return 200, {
                "parsingSucceeded": True,
                "parsedExpression": parsed,
                "error": None,
                "evaluationSucceeded": False,
                "evaluationResult": None,
            }
        # With testInputObject, Graph also evaluates the expression against its properties (v1.0 example).
        properties = {p.get("key"): p.get("value") for p in test_input.get("properties") or [] if isinstance(p, dict)}
        with self.state.lock:
            forced = self.state.evaluations.get(expression)
        try:
            result = forced if forced is not None else _evaluate_values(parsed, properties)
        except _ParseError as error:
            return 200, {
                "parsingSucceeded": True,
                "parsedExpression": parsed,
                "error": {"code": "EvaluationError", "message": str(error)},
                "evaluationSucceeded": False,
                "evaluationResult": None,
            }
        return 200, {
            "parsingSucceeded": True,
            "parsedExpression": parsed,
            "error": None,
            "evaluationSucceeded": True,
            "evaluationResult": result,
        }

    def op_validate_credentials(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        if (body or {}).get("useSavedCredentials") is True:
            # "the credentials parameter will be ignored and the previously saved credentials (if any) will be
            # validated instead" (v1.0 validateCredentials); Graph echoes nothing of them.
            with self.state.lock:
                saved = {s.get("key"): s.get("value") for s in self.state.secrets.get(p["sp"], [])}
            if saved.get("SecretToken") == self.state.webex_token and str(saved.get("BaseAddress")).startswith(
                "https://"
            ):
                return 204, None
            return 400, graph_error(
                "CredentialValidationUnavailable",
                "The saved credentials were rejected by Cisco Webex: HTTP 401 Unauthorized"
                if saved
                else "No credentials are saved for this application.",
            )
        credentials = {c.get("key"): c.get("value") for c in (body or {}).get("credentials") or []}
        token, base = credentials.get("SecretToken"), credentials.get("BaseAddress") or ""
        if (body or {}).get("useSavedCredentials") is not False:
            return 400, graph_error("BadRequest", "useSavedCredentials must be false or true")
        if token == self.state.webex_token and base.startswith("https://"):
            return 204, None
        # Deliberately echo the token back, the worst a service could do: the client must redact it.
        return 400, graph_error(
            "CredentialValidationUnavailable",
            f"Webex rejected the credentials (SecretToken {token}) for {base}: HTTP 401 Unauthorized",
        )

    def op_start(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            self.switch(self.state.jobs[p["job"]], on=True)
        return 204, None

    def op_restart(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        # resetScope is a comma list of RESET_SCOPES and may be empty (the portal's Restart provisioning, "similar
        # to QuarantineState, Watermark, Escrows"); an unknown name is refused.
        raw = ((body or {}).get("criteria") or {}).get("resetScope") or ""
        names = [name.strip() for name in str(raw).split(",") if name.strip()]
        unknown = [name for name in names if name not in RESET_SCOPES]
        if unknown:
            return 400, graph_error("BadRequest", f"Invalid resetScope value(s): {', '.join(unknown)}")
        with self.state.lock:
            self.state.restarts.append((p["job"], names))
            status = self.state.jobs[p["job"]]["status"]
            if status["code"] == "Quarantine" and (not names or {"QuarantineState", "Full"} & set(names)):
                status["code"], status["quarantine"] = "Active", None  # "temporarily lifts the quarantine"
        return 204, None

    def op_pause(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            self.switch(self.state.jobs[p["job"]], on=False)
        return 204, None

    def op_provision_on_demand(self, p: dict[str, str], body: Any) -> tuple[int, Any]:
        parameters = (body or {}).get("parameters")
        if not isinstance(parameters, list) or len(parameters) != 1:
            return 400, graph_error("BadRequest", "parameters must hold one synchronizationJobApplicationParameters")
        rule_id, subjects = parameters[0].get("ruleId"), parameters[0].get("subjects")
        with self.state.lock:
            rules = {r.get("id") for r in self.state.schemas[p["job"]].get("synchronizationRules") or []}
        if rule_id not in rules:
            return 400, graph_error("BadRequest", f"Synchronization rule '{rule_id}' was not found.")
        if not isinstance(subjects, list) or len(subjects) != 1:
            return 400, graph_error("BadRequest", "subjects must hold one synchronizationJobSubject")
        subject = subjects[0]
        if not subject.get("objectId") or subject.get("objectTypeName") not in {"User", "Group"}:
            return 400, graph_error("BadRequest", "subjects[0] needs objectId and objectTypeName User or Group")
        outcome = self.on_demand_outcome(subject["objectId"], sp_id=p["sp"])
        return 200, on_demand_answer(subject["objectId"], outcome)

    def on_demand_outcome(self, object_id: str, sp_id: str | None = None) -> OnDemand:
        """Configured per object id (`GraphTestServer.set_on_demand`); else, with a directory attached, what its
        assignments say (a user assigned with a role other than Default Access is provisioned); else not assigned."""
        with self.state.lock:
            configured = self.state.on_demand.get(object_id)
            if configured is None and self.state.directory is not None and sp_id is not None:
                return self.state.directory.on_demand(sp_id, object_id)
            return configured or NOT_ASSIGNED

    def switch(self, job: dict[str, Any], *, on: bool) -> None:
        """What start (on) and pause (off) do to a job; the caller holds the lock."""
        if on:
            job["status"]["code"] = "Active"
            job["status"]["quarantine"] = None
            job["schedule"]["state"] = "Active"
        else:
            job["status"]["code"] = "Paused"
            job["schedule"]["state"] = self.state.pause_schedule_state

    def add_job(self, job_id: str, *, status: str = "NotRun", schedule_state: str | None = None) -> None:
        if schedule_state is None:
            # A running or quarantined job is scheduled; a paused one is off; a new (NotRun) one is Disabled.
            schedule_state = {
                "Active": "Active",
                "Quarantine": "Active",
                "Paused": self.state.pause_schedule_state,
            }.get(status, "Disabled")
        quarantine = (
            {"currentBegan": "2024-05-02T10:11:12Z", "reason": "EncounteredQuarantineException"}
            if status == "Quarantine"
            else None
        )
        with self.state.lock:
            self.state.jobs[job_id] = {
                "id": job_id,
                "templateId": job_id.split(".", 1)[0],
                "schedule": {"expiration": None, "interval": "PT40M", "state": schedule_state},
                "status": {
                    "code": status,
                    "countSuccessiveCompleteFailures": 0,
                    "escrowsPruned": False,
                    "lastExecution": None,
                    "lastSuccessfulExecution": None,
                    "lastSuccessfulExecutionWithExports": None,
                    "progress": [],
                    "quarantine": quarantine,
                    "steadyStateFirstAchievedTime": None,
                    "steadyStateLastAchievedTime": None,
                    "synchronizedEntryCountByType": [],
                    "troubleshootingUrl": None,
                },
                "synchronizationJobSettings": [],
            }
            self.state.schemas[job_id] = default_webex_schema()


def on_demand_answer(object_id: str, outcome: OnDemand) -> dict[str, Any]:
    """Graph's provisionOnDemand answer: a stringKeyStringValuePair whose key and value are JSON text (v1.0 docs)."""
    upn = outcome.upn or f"{object_id}@contoso.test"
    details = {"errorCode": outcome.error_code, "errorMessage": outcome.message} if outcome.error_code else {}
    final = {
        "Success": ("EntryExportAdd", "Export", f"User '{upn}' was created in customappsso", {}),
        "Skipped": (
            "EntrySynchronizationSkip",
            "Export",
            outcome.message or "Skipped",
            {"SkipReason": outcome.error_code or ""},
        ),
        "Failure": (
            "EntryExportAdd",
            "Export",
            outcome.message or "Failed",
            {"ErrorCode": outcome.error_code or ""},
        ),
    }[outcome.result]
    value = {
        "action": "Create" if outcome.result == "Success" else "Other",
        "changeId": str(uuid.uuid4()),
        "reportableIdentifier": upn,
        "provisioningSteps": [
            {
                "name": "EntryImport",
                "type": "Import",
                "status": "Success",
                "description": f"Retrieved User '{upn}' from Azure Active Directory",
                "details": {"objectId": object_id, "userPrincipalName": upn},
            },
            {
                "name": final[0],
                "type": final[1],
                "status": outcome.result,
                "description": final[2],
                "details": final[3],
            },
        ],
        "statusInfo": {
            "status": outcome.result,
            "errorCode": outcome.error_code if outcome.result == "Failure" else None,
            "reason": outcome.message if outcome.result == "Failure" else None,
            "additionalDetails": None,
            "errorCategory": None,
            "recommendedAction": None,
        },
        "sourceIdentity": {"id": object_id, "type": "User", "displayName": None, "details": None},
        "targetIdentity": {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, upn)) if outcome.result == "Success" else None,
            "type": USER_TARGET_OBJECT,
            "displayName": None,
            "details": None,
        },
    }
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair",
        "key": json.dumps({"result": outcome.result, "details": details}),
        "value": json.dumps(value),
    }


def _schema_reference_problem(body: dict[str, Any], operators: set[str]) -> str | None:
    """What refers to something the schema or the service does not define: a mapping to a target attribute its
    directory's object does not list (the portal's "Edit attribute list" comes first), an unknown scoping operator."""
    objects = {
        (d.get("name"), o.get("name")): {a.get("name") for a in o.get("attributes") or []}
        for d in body.get("directories") or []
        for o in d.get("objects") or []
    }
    for rule in body["synchronizationRules"]:
        for om in rule.get("objectMappings") or []:
            defined = objects.get((rule.get("targetDirectoryName"), om.get("targetObjectName")))
            if defined is None:
                return f"object '{om.get('targetObjectName')}' is not defined in '{rule.get('targetDirectoryName')}'"
            for am in om.get("attributeMappings") or []:
                if am["targetAttributeName"] not in defined:
                    return (
                        f"Attribute '{am['targetAttributeName']}' is not defined on object "
                        f"'{om.get('targetObjectName')}' of directory '{rule.get('targetDirectoryName')}'"
                    )
            for group in (om.get("scope") or {}).get("groups") or []:
                for clause in group.get("clauses") or []:
                    if clause["operatorName"] not in operators:
                        return f"Unknown scoping filter operator '{clause['operatorName']}'"
    return None


def filter_operators() -> list[dict[str, Any]]:
    """What `GET …/schema/filterOperators` lists (filterOperatorSchema: name, arity, multivaluedComparisonType,
    supportedAttributeTypes), after Graph's documentation example."""

    def op(name: str, arity: str, types: list[str]) -> dict[str, Any]:
        return {"name": name, "arity": arity, "multivaluedComparisonType": "All", "supportedAttributeTypes": types}

    return [
        op("EQUALS", "Binary", ["String", "Integer", "Reference"]),
        op("NOT_EQUALS", "Binary", ["String", "Integer", "Reference"]),
        op("IS_TRUE", "Unary", ["Boolean"]),
        op("IS_FALSE", "Unary", ["Boolean"]),
        op("IS_NULL", "Unary", ["String", "Integer", "Boolean", "Reference", "DateTime"]),
        op("IS_NOT_NULL", "Unary", ["String", "Integer", "Boolean", "Reference", "DateTime"]),
        op("REGEX_MATCH", "Binary", ["String"]),
        op("NOT_REGEX_MATCH", "Binary", ["String"]),
        op("GREATER_THAN", "Binary", ["Integer"]),
        op("GREATER_THAN_OR_EQUALS", "Binary", ["Integer"]),
        op("LESS_THAN", "Binary", ["Integer"]),
        op("LESS_THAN_OR_EQUALS", "Binary", ["Integer"]),
        op("ENDS_WITH", "Binary", ["String"]),
    ]


def _schema_problem(body: Any) -> str | None:
    """The checks a real PUT would fail, so a malformed document is caught here rather than in a tenant."""
    if not isinstance(body, dict) or not isinstance(body.get("synchronizationRules"), list):
        return "synchronizationRules is required"
    for rule in body["synchronizationRules"]:
        for om in rule.get("objectMappings") or []:
            for am in om.get("attributeMappings") or []:
                source = am.get("source") or {}
                if not am.get("targetAttributeName") or source.get("type") not in {"Attribute", "Constant", "Function"}:
                    return f"invalid attributeMapping {json.dumps(am)[:200]}"
            scope = om.get("scope")
            if scope is not None:
                for group in scope.get("groups") or []:
                    for clause in group.get("clauses") or []:
                        if not clause.get("operatorName") or not clause.get("sourceOperandName"):
                            return "invalid scoping clause"
    return None


class GraphTestServer(LoopbackServer):
    """The loopback Graph. Use as a context manager; `base_url` goes into the client / `graphBaseUrl` input."""

    def __init__(
        self,
        *,
        bearer: str = BEARER,
        webex_token: str = GOOD_WEBEX_TOKEN,
        templates: list[dict[str, Any]] | None = None,
        sp_id: str = SP_ID,
    ) -> None:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.state = _State(
            bearer=bearer,
            webex_token=webex_token,
            templates=default_templates() if templates is None else templates,
            sp_ids={sp_id},
        )
        self.sp_id = sp_id
        super().__init__(server, "graph-test-server")

    @property
    def base_url(self) -> str:
        return f"{self.origin}{_PREFIX}"

    @property
    def state(self) -> _State:
        return self._server.state

    @property
    def health(self) -> Any:
        """The tenant's health half (`graph_health.Health`: job states, provisioning logs), attached on first use."""
        if self.state.health is None:
            from graph_health import Health

            self.state.health = Health(self.state, base_url=self.base_url)
        return self.state.health

    def seed_job_health(self, job_id: str, state: str) -> None:
        """Put a job in one of graph_health.JOB_STATES, with the provisioning logs its cycles left."""
        self.health.seed(state, sp_id=self.sp_id, job_id=job_id)

    def save_credentials(self, base_address: str, token: str) -> None:
        """The secrets a deployed stack saved (what `useSavedCredentials: true` validates)."""
        with self.state.lock:
            self.state.secrets[self.sp_id] = [
                {"key": "BaseAddress", "value": base_address},
                {"key": "SecretToken", "value": token},
            ]

    @property
    def directory(self) -> Any:
        """The tenant's directory half (`graph_directory.Directory`), attached on first use."""
        if self.state.directory is None:
            from graph_directory import Directory

            self.state.directory = Directory(self.state, base_url=self.base_url)
        return self.state.directory

    def add_job(
        self, *, status: str = "NotRun", template_id: str = TEMPLATE_ID, schedule_state: str | None = None
    ) -> str:
        """A job as if created by POST jobs (NotRun, schedule Disabled), or in the given status (the schedule then
        follows it: Active for Active/Quarantine, off for Paused) unless `schedule_state` says otherwise."""
        job_id = f"{template_id}.{uuid.uuid4().hex}.{uuid.uuid4()}"
        self._server.add_job(job_id, status=status, schedule_state=schedule_state)
        return job_id

    def job(self, job_id: str) -> dict[str, Any]:
        with self.state.lock:
            return copy.deepcopy(self.state.jobs[job_id])

    def schema(self, job_id: str) -> dict[str, Any]:
        with self.state.lock:
            return copy.deepcopy(self.state.schemas[job_id])

    def mutate_schema(self, job_id: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Edit the stored schema as a portal user would (drift)."""
        with self.state.lock:
            change(self.state.schemas[job_id])

    def set_job_status(self, job_id: str, code: str) -> None:
        with self.state.lock:
            self.state.jobs[job_id]["status"]["code"] = code

    def set_on_demand(self, object_id: str, outcome: OnDemand) -> None:
        """What provisionOnDemand answers for `object_id` (Success for a user in scope, Skipped or Failure else)."""
        with self.state.lock:
            self.state.on_demand[object_id] = outcome

    def quarantine(self, job_id: str, reason: str = "TooManyDeletes", code: str = "", message: str = "") -> None:
        """Put a running job in quarantine as the service does (it stays scheduled), with Graph's details."""
        with self.state.lock:
            status = self.state.jobs[job_id]["status"]
            status["code"] = "Quarantine"
            status["quarantine"] = {
                "currentBegan": "2026-11-20T10:00:00Z",
                "nextAttempt": "2026-11-21T10:00:00Z",
                "reason": reason,
                "seriesBegan": "2026-11-20T10:00:00Z",
                "seriesCount": 1,
                "error": {"code": code, "message": message, "tenantActionable": True} if code else None,
            }

    def portal_toggle(self, job_id: str, *, on: bool) -> None:
        """Provisioning Status On/Off in the portal: what start/pause do, behind the client's back (drift)."""
        with self.state.lock:
            self._server.switch(self.state.jobs[job_id], on=on)

    def inject(self, fault: Fault) -> Fault:
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def requests(self, method: str | None = None, suffix: str | None = None) -> list[Recorded]:
        with self.state.lock:
            return [
                r
                for r in self.state.log
                if (method is None or r.method == method) and (suffix is None or r.path.endswith(suffix))
            ]

    def clear_log(self) -> None:
        with self.state.lock:
            self.state.log.clear()
