"""What of a stack decides who Webex gets and with what: read exactly as the preview reads it.

`load` takes the stack file the way `python -m webex_scim preview` does (offline/stackfile.py: the CLI's own rules,
one message per bad key, exit 2) and validates it with the program's own `components.settings.validate`; the
attribute table is `components.mapping_settings.desired_user_mappings`, the very rows the AttributeMappings resource
writes to the job's schema (the Webex defaults of components/webex_catalog.json, overrides, removals), and the
scoping filter is `scoping_filter_input`, the same clauses it writes.

`from_preview` reads the same facts from a preview's JSON document (the Assignments component's principals, the
AttributeMappings inputs, the SyncAll secret): what `diff --users` uses, so each side of a diff is simulated with the
mappings its own code would write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.catalog import DEFAULT_ACCESS_ROLE_ID
from policies.vocabulary import ASSIGNMENTS, ATTRIBUTE_MAPPINGS, SYNC_ALL, SYNCHRONIZATION_SECRET
from webex_scim.errors import UsageError

DEFAULT_ACCESS_NAMES = frozenset({DEFAULT_ACCESS_ROLE_ID, "default access"})


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "group"
    ref: str  # UPN or object ID; group name or object ID
    role: str | None  # app role value / display name; None: assignmentRole or the app's only role

    @property
    def label(self) -> str:
        return f"{self.kind} {self.ref}"

    @property
    def default_access(self) -> bool:
        return self.role is not None and self.role.strip().lower() in DEFAULT_ACCESS_NAMES


@dataclass
class SimulationStack:
    project: str
    stack: str
    rows: list[dict[str, Any]]  # desired_user_mappings rows: target, source/expression/constant, defaultValue, …
    scoping_filter: list[dict[str, Any]]  # [{clauses: [{attribute, operator, values}]}]
    principals: list[Principal]
    scope: str = "assigned"  # "assigned" | "all"
    rollout: str = "full"
    enabled: bool = True
    verified_domains: list[str] = field(default_factory=list)
    app_display_name: str = "Cisco Webex"
    service_principal_id: str | None = None
    graph_base_url: str | None = None  # set only when the stack sets graphBaseUrl
    tenant_url: str | None = None  # the SCIM base Entra talks to (tenantUrl, or the offer's form with the org ID)
    azuread_config: dict[str, str] = field(default_factory=dict)  # plain `azuread:*` stack settings, for Graph

    @property
    def pilot(self) -> Principal | None:
        return self.principals[0] if self.rollout == "pilot" and self.principals else None


def from_settings(settings: Any, *, project: str, stack: str) -> SimulationStack:
    """A validated components.settings.Settings, as the program would apply it."""
    from components.mapping_settings import desired_user_mappings, scoping_filter_input

    role_default = settings.assignment_role
    return SimulationStack(
        project=project,
        stack=stack,
        rows=desired_user_mappings(settings.mappings),
        scoping_filter=scoping_filter_input(settings.mappings),
        principals=[Principal(a.kind, a.ref, a.role or role_default) for a in settings.assignments],
        scope=settings.provisioning.scope,
        rollout=settings.rollout,
        enabled=settings.provisioning.enabled,
        verified_domains=list(getattr(settings, "verified_domains", []) or []),
        app_display_name=settings.app.display_name,
        service_principal_id=settings.app.existing_service_principal_object_id,
        graph_base_url=settings.graph_base_url if "graph_base_url" in settings.model_fields_set else None,
        tenant_url=settings.effective_tenant_url,
    )


def load(project_dir: Path, *, stack: str | None, config_file: Path | None) -> SimulationStack:
    """The stack file, read and validated as the preview does; UsageError (exit 2) on bad config."""
    from components.settings import SettingsError, validate_stack_config
    from offline import stackfile

    cfg = stackfile.load(project_dir, stack=stack, config_file=config_file)
    settings, _, problems = validate_stack_config(cfg.config)
    if problems or settings is None:
        raise UsageError(str(SettingsError(problems)))
    result = from_settings(settings, project=cfg.project, stack=cfg.stack)
    secret = set(cfg.secret_keys)
    result.azuread_config = {
        key.split(":", 1)[1]: value
        for key, value in cfg.config.items()
        if key.startswith("azuread:") and key not in secret
    }
    return result


def graph_url(stack: SimulationStack) -> str:
    """The Graph the program talks to, decided as the program decides it."""
    from components.graph.errors import graph_url_for

    return graph_url_for(stack.graph_base_url, stack.azuread_config.get("environment"))


class NotInPreview(ValueError):
    """A preview document without a resource the simulation reads (a revision from before it existed)."""


# What the simulation reads from a preview document, by the resource type that carries it.
_READ_FROM = {
    ASSIGNMENTS: "Assignments component (who is assigned)",
    ATTRIBUTE_MAPPINGS: "AttributeMappings resource (the mappings)",
    SYNCHRONIZATION_SECRET: "SynchronizationSecret (the scope)",
}


def from_preview(doc: dict[str, Any]) -> SimulationStack:
    """A preview's JSON document (`python -m webex_scim preview --json -`), read for what the simulation needs; a
    document without one of the resources it reads raises NotInPreview, rather than a guess in its place."""
    types = {step.get("type") for step in doc.get("steps", [])}
    missing = [what for type_, what in _READ_FROM.items() if type_ not in types]
    if missing:
        raise NotInPreview(f"its preview has no {', no '.join(missing)}")
    rows: list[dict[str, Any]] = []
    scoping: list[dict[str, Any]] = []
    principals: list[Principal] = []
    rollout, scope = "full", "assigned"
    for step in doc.get("steps", []):
        inputs = step.get("inputs") or {}
        if step.get("type") == ATTRIBUTE_MAPPINGS:
            rows = [dict(r) for r in inputs.get("userMappings") or [] if isinstance(r, dict)]
            scoping = [dict(g) for g in inputs.get("scopingFilter") or [] if isinstance(g, dict)]
        elif step.get("type") == ASSIGNMENTS:
            rollout = str(inputs.get("rollout") or "full")
            principals = [
                Principal(str(p["kind"]), str(p["ref"]), p.get("role"))
                for p in inputs.get("principals") or []
                if isinstance(p, dict) and p.get("kind") in ("user", "group") and isinstance(p.get("ref"), str)
            ]
        elif step.get("type") == SYNCHRONIZATION_SECRET:
            for pair in inputs.get("credentials") or []:
                if isinstance(pair, dict) and pair.get("key") == SYNC_ALL:
                    scope = "all" if str(pair.get("value")).lower() == "true" else "assigned"
    return SimulationStack(
        project=str(doc.get("project") or ""),
        stack=str(doc.get("stack") or ""),
        rows=rows,
        scoping_filter=scoping,
        principals=principals,
        scope=scope,
        rollout=rollout,
    )
