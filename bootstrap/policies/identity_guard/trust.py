"""Whom each pipeline identity trusts: GitHub Actions jobs of one environment, never a branch or any pull request.

An environment carries protection rules (required reviewers, branch policy); a `ref:` or `pull_request` subject
would let a job that skips them sign in as the identity."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .stack import FEDERATED_CREDENTIAL, GITHUB_AUDIENCE, GITHUB_ISSUER, NAMESPACE, TAGS

_ENVIRONMENT_SUBJECT = re.compile(r"^repo:[A-Za-z0-9-]+/[A-Za-z0-9._-]+:environment:[A-Za-z0-9_-]+$")


def _problems(props: Mapping[str, Any]) -> list[str]:
    problems = []
    if props.get("issuer") != GITHUB_ISSUER:
        problems.append(f"its issuer is {props.get('issuer')!r}, not GitHub Actions' {GITHUB_ISSUER}")
    if list(props.get("audiences") or []) != [GITHUB_AUDIENCE]:
        problems.append(f"its audiences are {list(props.get('audiences') or [])!r}, not [{GITHUB_AUDIENCE!r}]")
    subject = str(props.get("subject") or "")
    if not _ENVIRONMENT_SUBJECT.match(subject):
        problems.append(
            f"its subject {subject[:120]!r} is not one GitHub environment's (repo:<owner>/<repo>:environment:<name>)"
        )
    return problems


def _check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != FEDERATED_CREDENTIAL:
        args.not_applicable("checks ApplicationFederatedIdentityCredential resources only")
    problems = _problems(args.props)
    if problems:
        report(
            "This federated credential lets more than one protected GitHub environment's jobs sign in: "
            + "; ".join(problems)
            + f". Name environments in {NAMESPACE}:<role>Identity.environments (the program writes the credential)."
        )


federated_credentials_trust_environments = ResourceValidationPolicy(
    name="federated-credentials-trust-environments",
    description=(
        "Every federated credential trusts GitHub Actions' issuer, the audience api://AzureADTokenExchange and one "
        "GitHub environment's subject, never a branch or pull requests."
    ),
    validate=_check,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=TAGS,
    remediation_steps="List the GitHub environments each identity serves in <role>Identity.environments.",
)

RULES = [federated_credentials_trust_environments]
