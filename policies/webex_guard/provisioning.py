"""Portal step 4: the provisioning job's settings, which Graph keeps as one set of synchronization secrets."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)
from vocabulary import BASE_ADDRESS, SYNC_ALL, SYNC_NOTIFICATION_SETTINGS

from . import stack_config as cfg
from .catalog import JOB_RESTART, PROVISIONING_JOB, SYNCHRONIZATION_SECRET, offers, tenant_url_forms
from .rule import ResourceRule, StackRule, credential, of_type, owning, quote


def _check_scope(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    found, value = credential(props, SYNC_ALL)
    if found and str(value).strip().lower() == "false":
        return
    what = f"SyncAll is {quote(value)}" if found else "SyncAll is not set"
    report(
        f"The scope is every user in the tenant ({what}): the job would provision all of them to Webex, not only "
        "the assigned users and groups. " + cfg.fix_set(cfg.SCOPE, "assigned")
    )


scope_assigned_only = ResourceRule(
    name="scope-assigned-only",
    description="Provisioning scope is 'Sync only assigned users and groups' (SyncAll = false).",
    applies_to=SYNCHRONIZATION_SECRET,
    check=_check_scope,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=f"Set `{cfg.key(cfg.SCOPE)}` to assigned (the default).",
)


def _notification_settings(props: Mapping[str, Any], report: ReportViolation) -> Mapping[str, Any] | None:
    """The parsed SyncNotificationSettings value, or None after reporting why it cannot be read."""
    found, raw = credential(props, SYNC_NOTIFICATION_SETTINGS)
    if not found:
        report(
            "SyncNotificationSettings is not set, and a secrets PUT replaces every key: failure emails and the "
            "delete threshold would be switched off. " + cfg.fix_set(cfg.NOTIFICATION_EMAIL, "webex-admins@contoso.com")
        )
        return None
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = None
    if not isinstance(value, Mapping):
        report(
            f"SyncNotificationSettings is not a JSON object ({quote(raw)}). "
            + cfg.fix_set(cfg.NOTIFICATION_EMAIL, "webex-admins@contoso.com")
        )
        return None
    return value


def _check_notification(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    settings = _notification_settings(props, report)
    if settings is None:
        return
    recipients = settings.get("Recipients")
    if settings.get("Enabled") is True and isinstance(recipients, str) and recipients.strip():
        return
    what = "are switched off" if settings.get("Enabled") is not True else "have no recipient"
    report(
        f"Failure notification emails {what}: a quarantined job would stop provisioning to Webex unnoticed. "
        + cfg.fix_set(cfg.NOTIFICATION_EMAIL, "webex-admins@contoso.com")
    )


notification_email = ResourceRule(
    name="notification-email",
    description="Provisioning failures send a notification email to a recipient.",
    applies_to=SYNCHRONIZATION_SECRET,
    check=_check_notification,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=f"Set `{cfg.key(cfg.NOTIFICATION_EMAIL)}` to a monitored mailbox.",
)


def _whole_number(raw: Any) -> int | None:
    """A number of deletions as SyncNotificationSettings may hold it (a JSON number, or its digits), else None."""
    if isinstance(raw, bool):  # JSON true is no number of deletions, though Python counts it as 1
        return None
    if isinstance(raw, float) and raw.is_integer():  # a JSON number read through a protobuf Struct
        return int(raw)
    if isinstance(raw, int):
        return raw
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if text.removeprefix("-").isdecimal() else None


def _check_delete_threshold(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    settings = _notification_settings(props, report)
    if settings is None:
        return
    enabled, raw = settings.get("DeleteThresholdEnabled"), settings.get("DeleteThresholdValue")
    threshold = _whole_number(raw)
    if enabled is True and threshold is not None and threshold > 0:
        return
    if raw is None:
        value = "no DeleteThresholdValue"
    elif threshold is None:
        value = f"DeleteThresholdValue {quote(raw)} is not a whole number"
    else:
        value = f"value {threshold}"
    on = str(enabled).lower() if isinstance(enabled, bool) else "not set" if enabled is None else quote(enabled)
    shown = f"DeleteThresholdEnabled {on}, {value}"
    report(
        f"The accidental-deletion threshold is off ({shown}): one bad scoping change could disable every Webex "
        "user in a single cycle. " + cfg.fix_set(cfg.DELETE_THRESHOLD, "500")
    )


delete_threshold_on = ResourceRule(
    name="delete-threshold-on",
    description="Accidental-deletion prevention is on, with a threshold above zero.",
    applies_to=SYNCHRONIZATION_SECRET,
    check=_check_delete_threshold,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps=f"Set `{cfg.key(cfg.DELETE_THRESHOLD)}` to a positive number of deletions (default 500).",
)


def _check_tenant_url(args: StackValidationArgs, report: ReportViolation) -> None:
    secrets = of_type(args.resources, SYNCHRONIZATION_SECRET)
    if not secrets:
        args.not_applicable("no SynchronizationSecret in the stack")
    jobs = of_type(args.resources, PROVISIONING_JOB)
    for secret in secrets:
        found, base = credential(secret.props, BASE_ADDRESS)
        if not found or not isinstance(base, str) or not base.strip():
            report(
                "The provisioning credentials have no BaseAddress (tenant URL): Entra cannot reach Webex. "
                + cfg.fix_set(cfg.ORG_ID, "<org UUID from Control Hub>"),
                secret.urn,
            )
            continue
        job = owning(secret, PROVISIONING_JOB, jobs)
        org_id = job.props.get("orgId") if job else None
        offer = job.props.get("offer") if job else None
        if not org_id or not offer:
            # Without the component's settings there is nothing to compare with: say so rather than pass.
            report(
                f"Cannot tell which Webex org the tenant URL {quote(base)} is for: no ProvisioningJob component "
                f"with orgId and offer owns these credentials. Fix: set `{cfg.key(cfg.ORG_ID)}` and "
                f"`{cfg.key(cfg.OFFER)}` and deploy the credentials through the ProvisioningJob component.",
                secret.urn,
            )
            continue
        offer_row = offers().get(str(offer))
        if offer_row is None:
            report(
                f"Offer {quote(offer)} is not a Webex offer ({', '.join(sorted(offers()))}). "
                + cfg.fix_set(cfg.OFFER, "commercial"),
                secret.urn,
            )
            continue
        forms = [form.format(orgId=org_id) for form in tenant_url_forms(offer_row)]
        hosts = list(dict.fromkeys((urlsplit(form).hostname or "").lower() for form in forms))
        parts = urlsplit(base.strip())
        host = (parts.hostname or "").lower()
        problems = []
        if parts.scheme != "https":
            problems.append("it is not https")
        if host not in hosts:
            other = _offer_of_host(host)
            hint = f" (it is the {offers()[other]['label']} host: check `{cfg.key(cfg.OFFER)}`)" if other else ""
            problems.append(
                f"its host {host or '(none)'} is not a {offer_row['label']} SCIM host ({', '.join(hosts)}){hint}"
            )
        if str(org_id).lower() not in base.lower():
            problems.append(f"it does not contain the org ID {org_id}")
        if problems:
            report(
                f"Tenant URL {quote(base)} is wrong: {'; '.join(problems)}. The {offer} tenant URL for this org is "
                f"{forms[0]}{_also(forms[1:])}. Fix: `pulumi config rm {cfg.TENANT_URL}` to use the default, or set "
                f"`{cfg.key(cfg.TENANT_URL)}` to one of these forms; check `{cfg.key(cfg.ORG_ID)}` and "
                f"`{cfg.key(cfg.OFFER)}`. A Webex host not listed here goes into tenantUrlForms in "
                "components/webex_catalog.json (the one table the program and this pack read).",
                secret.urn,
            )


def _offer_of_host(host: str) -> str | None:
    for name, row in offers().items():
        if host in {(urlsplit(form).hostname or "").lower() for form in tenant_url_forms(row)}:
            return name
    return None


def _also(forms: list[str]) -> str:
    return f" (also accepted: {', '.join(forms)})" if forms else ""


def _known_forms() -> str:
    """Every offer's tenant URL forms, for the rule's remediation text."""
    return "; ".join(f"{name}: {' or '.join(tenant_url_forms(row))}" for name, row in offers().items())


tenant_url_matches_org = StackRule(
    name="tenant-url-matches-org",
    description=(
        "The tenant URL is https, on a Webex SCIM host known for the offer (components/webex_catalog.json), and "
        "contains the Webex org ID."
    ),
    applies_to=(SYNCHRONIZATION_SECRET, PROVISIONING_JOB),
    check=_check_tenant_url,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps=(
        f"Leave `{cfg.key(cfg.TENANT_URL)}` unset to use the offer's default, or set one of the offer's forms "
        f"({_known_forms()}); check `{cfg.key(cfg.ORG_ID)}` (the UUID in Control Hub) and `{cfg.key(cfg.OFFER)}`."
    ),
)


def _check_forced_deletions(args: StackValidationArgs, report: ReportViolation) -> None:
    # A stack rule, so a stack without a restart passes (it is the usual case) instead of showing not applicable.
    for restart in of_type(args.resources, JOB_RESTART):
        request = restart.props.get("forceDeletesRequest")
        if request:
            report(
                f"`{cfg.key(cfg.FORCE_DELETES_REQUEST)}` is set ({quote(request)}): when its value is new, `pulumi "
                "up` restarts the job with ForceDeletes, and every deletion the accidental-deletion threshold held "
                "back goes through (those users are deprovisioned in Webex). Check the held-back "
                "deletions in the Entra provisioning logs first; a restart that only releases the quarantine is "
                f"`{cfg.set_command(cfg.RESTART_REQUEST, '<new value>')}`.",
                restart.urn,
            )


deletions_not_forced = StackRule(
    name="deletions-not-forced",
    description=(
        "No restart forces through the deletions the accidental-deletion threshold held back "
        "(provisioning.forceDeletesRequest)."
    ),
    applies_to=(JOB_RESTART,),
    check=_check_forced_deletions,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
    remediation_steps=(
        f"Review the held-back deletions in the provisioning logs before setting `{cfg.key(cfg.FORCE_DELETES_REQUEST)}`"
        f"; to release a quarantine without them, bump `{cfg.key(cfg.RESTART_REQUEST)}` instead."
    ),
)

MIN_DAYS_LEFT = 30


def _check_token_expiry(props: Mapping[str, Any], args: ResourceValidationArgs, report: ReportViolation) -> None:
    # The SDK does not apply schema defaults (the CLI does): the default is applied here too.
    min_days = int((args.get_config() or {}).get("minDaysLeft", MIN_DAYS_LEFT))
    set_token = cfg.set_command(cfg.SCIM_TOKEN, "<token>", secret=True)
    set_expiry = cfg.set_command(cfg.TOKEN_EXPIRES_ON, "<YYYY-MM-DD>")
    renew = (
        f"get a new token from the Webex admin sign-in, store it in `{cfg.key(cfg.SCIM_TOKEN)}` (`{set_token}`) and "
        f"its expiry in `{cfg.key(cfg.TOKEN_EXPIRES_ON)}` (`{set_expiry}`)"
    )
    raw = props.get("tokenExpiresOn")
    if raw is None or not str(raw).strip():
        report(
            "The SCIM token's expiry date is not recorded, so nothing warns before the token lapses and provisioning "
            "stops. " + cfg.fix_set(cfg.TOKEN_EXPIRES_ON, "<YYYY-MM-DD>", meaning="the date the token expires")
        )
        return
    try:
        expires = dt.date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        report(f"tokenExpiresOn {quote(raw)} is not an ISO date. " + cfg.fix_set(cfg.TOKEN_EXPIRES_ON, "<YYYY-MM-DD>"))
        return
    days_left = (expires - dt.datetime.now(dt.UTC).date()).days
    if days_left < 0:
        report(
            f"The SCIM token expired on {expires} ({-days_left} day(s) ago): provisioning to Webex fails. Fix: {renew}."
        )
    elif days_left < min_days:
        when = f"today ({expires})" if days_left == 0 else f"on {expires}, in {days_left} day(s)"
        report(f"The SCIM token expires {when} (warning from {min_days} days). Fix: rotate it now: {renew}.")


token_expiry = ResourceRule(
    name="token-expiry",
    description="The Webex SCIM token has a recorded expiry date that is not past or close.",
    applies_to=PROVISIONING_JOB,
    check=_check_token_expiry,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        f"Record the token's expiry in `{cfg.key(cfg.TOKEN_EXPIRES_ON)}`; before it lapses, set a new "
        f"`{cfg.key(cfg.SCIM_TOKEN)}` (as a secret) and its new expiry."
    ),
    config_schema=PolicyConfigSchema(
        properties={
            "minDaysLeft": {
                "type": "integer",
                "minimum": 0,
                "default": MIN_DAYS_LEFT,
                "description": "Warn when fewer than this many days are left before the token expires.",
            }
        }
    ),
)


def _host(url: Any) -> str:
    return (urlsplit(str(url or "")).hostname or "").lower()


def _check_government(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    problems = []
    if props.get("offer") == "government" and not props.get("verifiedDomains"):
        problems.append(
            f"`{cfg.key(cfg.VERIFIED_DOMAINS)}` is not set, and most Webex for Government orgs enforce verified "
            "domains: users in other domains are refused. List the org's domains (Control Hub > Organization Settings "
            f"> Domains), `{cfg.set_command(cfg.VERIFIED_DOMAINS + '[0]', '<domain>')}`, and `make simulate` names "
            "each user Webex would refuse"
        )
    graph, expected = _host(props.get("graphBaseUrl")), _host(props.get("azureEnvironmentGraphUrl"))
    if graph and expected and graph != expected and graph not in ("127.0.0.1", "localhost", "::1"):
        problems.append(
            f"the program calls Microsoft Graph at {graph} (`{cfg.key(cfg.GRAPH_BASE_URL)}`), but the azuread "
            f"provider's cloud (`azuread:environment`) has its Graph at {expected}: the two sign in to different "
            f"clouds. Check which cloud the tenant is in; `pulumi config rm {cfg.GRAPH_BASE_URL}` follows the "
            "provider's"
        )
    if problems:
        report("Check before the first `pulumi up`: " + "; and ".join(problems) + ".")


government_setup = ResourceRule(
    name="government-setup",
    description=(
        "A Webex for Government stack lists the org's verified domains, and the program's Microsoft Graph is in the "
        "cloud the azuread provider uses."
    ),
    applies_to=PROVISIONING_JOB,
    check=_check_government,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        f"Set `{cfg.key(cfg.VERIFIED_DOMAINS)}` to the Webex org's verified domains; leave "
        f"`{cfg.key(cfg.GRAPH_BASE_URL)}` unset to follow `azuread:environment`, or make the two name one cloud."
    ),
)

RULES = [
    scope_assigned_only,
    notification_email,
    delete_threshold_on,
    tenant_url_matches_org,
    deletions_not_forced,
    token_expiry,
    government_setup,
]
