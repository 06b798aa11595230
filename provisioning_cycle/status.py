"""`python -m webex_scim status (--stack NAME | --config-file PATH | --all) [--service-principal-id ID] [--job-id ID]
[--hours N] [--test-connection] [--policy-config PATH] [--timeout S] [--json PATH|-] [--markdown PATH]`.

A deployed stack's provisioning job, read live from Microsoft Graph with the identity, cloud and `graphBaseUrl` the
program's own Graph calls use (components/graph/auth.py): Graph's synchronizationStatus, the provisioning logs of
the last `--hours`, the token's days left, and one verdict (provisioning_cycle/status_report.py). Read-only: the
reader is GET-only; only `--test-connection` sends one POST (validateCredentials with the saved credentials).

Which job: `--service-principal-id`/`--job-id`, else the stack's outputs when the Pulumi CLI is at hand (`pulumi stack
output --json`), else the adopted service principal of the stack file; without a job id the service principal's jobs
are listed and the only one (or the one of `provisioning.templateId`) is taken; several: say which and stop.

Exit codes: 0 healthy, 1 attention or failing, 2 bad usage or config (one message); `--all` exits with the worst.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webex_scim.errors import EngineError, UsageError

from .status_report import DEFAULT_MIN_DAYS_LEFT, Report, failures_by_code, judge, log_counts, token_facts

OUTPUTS_TIMEOUT = 60.0


@dataclass
class StatusStack:
    project: str
    stack: str
    graph_url: str
    azuread_config: dict[str, str]
    service_principal_id: str | None
    template_id: str | None
    enabled: bool
    token_expires_on: dt.date | None


def load_stack(project_dir: Path, *, stack: str | None, config_file: Path | None) -> StatusStack:
    """The stack file, read and validated as the preview reads it (exit 2 on bad config)."""
    from components.graph.errors import graph_url_for
    from components.settings import SettingsError, validate_stack_config
    from offline import stackfile

    cfg = stackfile.load(project_dir, stack=stack, config_file=config_file)
    settings, _, problems = validate_stack_config(cfg.config)
    if problems or settings is None:
        raise UsageError(str(SettingsError(problems)))
    secret = set(cfg.secret_keys)
    azuread = {k.split(":", 1)[1]: v for k, v in cfg.config.items() if k.startswith("azuread:") and k not in secret}
    configured = settings.graph_base_url if "graph_base_url" in settings.model_fields_set else None
    return StatusStack(
        project=cfg.project,
        stack=cfg.stack,
        graph_url=graph_url_for(configured, azuread.get("environment")),
        azuread_config=azuread,
        service_principal_id=settings.app.existing_service_principal_object_id,
        template_id=settings.provisioning.template_id,
        enabled=settings.provisioning.enabled,
        token_expires_on=settings.token_expires_on,
    )


def stack_outputs(project_dir: Path, stack: str, notes: list[str]) -> dict[str, Any]:
    """`pulumi stack output --json` when the CLI is on PATH; {} (and a note saying why) when it cannot tell."""
    cli = shutil.which("pulumi")
    if cli is None:
        return {}
    try:
        done = subprocess.run(
            [cli, "stack", "output", "--json", "--stack", stack],
            cwd=project_dir,
            capture_output=True,
            text=True,
            timeout=OUTPUTS_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        notes.append(f"`pulumi stack output` did not answer ({type(exc).__name__}); ids taken from elsewhere")
        return {}
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0][:200]
        notes.append(f"`pulumi stack output --stack {stack}` failed ({first}); ids taken from elsewhere")
        return {}
    try:
        outputs = json.loads(done.stdout or "{}")
    except ValueError:
        return {}
    return outputs if isinstance(outputs, dict) else {}


def resolve_ids(args: argparse.Namespace, stack: StatusStack, notes: list[str]) -> tuple[str, str | None, str]:
    """(service principal id, job id or None, where they came from)."""
    sp, job = args.service_principal_id, args.job_id
    if sp:
        return sp, job, "flags"
    outputs = stack_outputs(args.project_dir, stack.stack, notes)
    if isinstance(outputs.get("servicePrincipalObjectId"), str):
        found_job = outputs.get("jobId") if isinstance(outputs.get("jobId"), str) else None
        return outputs["servicePrincipalObjectId"], job or found_job, "stack outputs"
    if stack.service_principal_id:
        return stack.service_principal_id, job, "stack file (app.existingServicePrincipalObjectId)"
    raise UsageError(
        f"status: which service principal? Stack {stack.stack!r} adopts none (app.existingServicePrincipalObjectId) "
        "and no Pulumi CLI gave its outputs; pass --service-principal-id <object id> (and --job-id <job id>), or run "
        "it where `pulumi stack output` works"
    )


def pick_job(jobs: list[dict[str, Any]], sp_id: str, template_id: str | None) -> str:
    if template_id:
        jobs = [j for j in jobs if str(j.get("templateId") or "").lower() == template_id.lower()] or jobs
    if len(jobs) == 1:
        return str(jobs[0]["id"])
    if not jobs:
        raise UsageError(f"service principal {sp_id} has no provisioning job: has the stack been deployed?")
    listed = ", ".join(f"{j.get('id')} (template {j.get('templateId')})" for j in jobs)
    raise UsageError(f"service principal {sp_id} has {len(jobs)} provisioning jobs ({listed}); say which with --job-id")


def min_days_left(path: Path | None) -> int:
    """`minDaysLeft` of the token-expiry rule in a `--policy-config` file, else the rule's default."""
    if path is None:
        return DEFAULT_MIN_DAYS_LEFT
    from offline.policy_config import load_policy_config

    rule = load_policy_config(path).get("token-expiry")
    value = rule.get("minDaysLeft", DEFAULT_MIN_DAYS_LEFT) if isinstance(rule, dict) else DEFAULT_MIN_DAYS_LEFT
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{path}: token-expiry.minDaysLeft must be a whole number of days, 0 or more")
    return value


def _graph_failure(exc: Any, what: str) -> Exception:
    """The one message a failed read of the job becomes: exit 2 when it is the set-up's to fix."""
    from components.graph.reader import SYNC_READ_PERMISSION

    if exc.operation == "getToken":
        return UsageError(
            f"status: cannot sign in to Microsoft Graph ({exc.graph_message}); run `az login`, or set the azuread "
            "provider's settings (ARM_TENANT_ID, ARM_CLIENT_ID, ...) as the program uses them"
        )
    if exc.status == 404:
        return UsageError(f"status: {what} was not found in Graph ({exc}); check --service-principal-id/--job-id")
    if exc.status in (401, 403):
        return UsageError(
            f"status: Graph refused to read {what} ({exc}); the identity needs {SYNC_READ_PERMISSION} (application "
            "permission, admin consent) or ownership of the app"
        )
    return EngineError(f"status: reading {what} from Microsoft Graph failed: {exc}")


def read_report(args: argparse.Namespace, stack: StatusStack) -> Report:
    from components.graph.auth import CredentialError
    from components.graph.errors import GraphError
    from components.graph.reader import GraphReader

    notes: list[str] = []
    drift = None
    if getattr(args, "drift", None) is not None:  # read first: a bad file is exit 2 before anything goes online
        from .drift import read_drift

        drift = read_drift(args.drift)
    sp_id, job_id, ids_from = resolve_ids(args, stack, notes)
    try:
        reader = GraphReader.from_environment(
            stack.graph_url,
            config=stack.azuread_config,
            on_wait=lambda event: print(f"note: {event.message()}", file=sys.stderr),
            deadline=args.timeout,
        )
    except CredentialError as exc:
        raise UsageError(f"Microsoft Graph credentials: {exc}") from None
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    since = now - dt.timedelta(hours=args.hours)
    with reader:
        try:
            if job_id is None:
                job_id = pick_job(reader.list_jobs(sp_id), sp_id, stack.template_id)
                ids_from += ", job found by listing the service principal's jobs"
            job = reader.get_job(sp_id, job_id)
        except GraphError as exc:
            raise _graph_failure(exc, f"provisioning job {job_id or '(any)'} of service principal {sp_id}") from None
        logs = reader.provisioning_logs(sp_id, since, seconds=args.timeout)
    log_part = logs_summary(logs, notes)
    failures = failures_by_code(logs.events) if logs.error is None else []
    token = token_facts(stack.token_expires_on, args.min_days_left, now.date())
    if stack.token_expires_on is None:
        notes.append("tokenExpiresOn is not set in the stack: nothing warns before the Webex token lapses")
    if args.test_connection:
        token["testConnection"] = test_connection(stack, sp_id, job_id)
    job_doc = {k: v for k, v in job.items() if not k.startswith("@odata.")}
    report = Report(
        project=stack.project,
        stack=stack.stack,
        service_principal_id=sp_id,
        job_id=job_id,
        ids_from=ids_from,
        read_at=now.isoformat().replace("+00:00", "Z"),
        job=job_doc,
        window={"since": since.isoformat().replace("+00:00", "Z"), "hours": args.hours},
        logs={**log_part, **(log_counts(logs.events) if logs.error is None else {})},
        failures=failures,
        token=token,
        notes=notes,
        drift=drift,
    )
    report.reasons = judge(job_doc, failures, token, enabled=stack.enabled, drift=drift)
    return report


def logs_summary(logs: Any, notes: list[str]) -> dict[str, Any]:
    """What the report says of the logs' read: how many entries, whether partial, and why a part is missing. A
    refused read (no AuditLog.Read.All, or a tenant without Entra ID P1/P2) removes the logs' part, not the report."""
    from components.graph.reader import AUDIT_PERMISSION

    part: dict[str, Any] = {"read": logs.error is None, "events": len(logs.events), "partial": logs.partial}
    if logs.partial:
        notes.append(f"provisioning logs: {logs.partial}; the counts and failures cover what was read")
    error = logs.error
    if error is None:
        return part
    if error.code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant":
        why = "the tenant has no Microsoft Entra ID P1 or P2 licence, which Graph's provisioning logs need"
    elif error.status in (401, 403):
        why = f"the identity lacks {AUDIT_PERMISSION} (application permission, admin consent)"
    else:
        why = f"Graph answered: {error}"
    part["unavailable"] = (
        f"provisioning logs not read: {why}. Left out of this report: the window's counts by action and status, and "
        "the failures by error code; the job's status above is complete"
    )
    notes.append(part["unavailable"])
    return part


def test_connection(stack: StatusStack, sp_id: str, job_id: str) -> dict[str, Any]:
    """Entra's Test Connection with the saved credentials (validateCredentials: one POST; Entra calls Webex)."""
    from components.graph.client import GraphClient
    from components.graph.errors import GraphError

    try:
        with GraphClient.from_environment(stack.graph_url, config=stack.azuread_config) as client:
            client.validate_saved_credentials(sp_id, job_id)
    except GraphError as exc:
        return {"ok": False, "message": f"{exc.code or exc.status}: {exc.graph_message}"}
    return {"ok": True, "message": "the saved tenant URL and token were accepted"}
