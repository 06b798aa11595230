"""What Webex refuses, and what Entra fails, among the users the simulation provisions: each rule one function, so
the simulation (`check_across`), the replay and `match` apply the same one.

Sources: Webex's SCIM 2 API reference (webex/webex-openapi-specs public-spec/webex-admin.json, PostUser and
EmailObject): userName "must be set to the user's primary email address" and be unique "within Webex"; "The primary
work email address must match the value of the user's username", and Entra sends the mapped work email with
`primary: true` (Microsoft's SCIM tutorial, "Create User"). The Webex article: an org enforcing verified domains
cannot create users in other domains. Microsoft's provisioning-logs error codes: `DuplicateSourceEntries` ("more
than one user was found with the configured matching attributes"), where userName is the matching attribute, so
Entra sends neither user. Microsoft's "Known issues for provisioning": "Microsoft Entra ID currently can't perform
filter queries on values containing special characters", without listing them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar


class UserResult(Protocol):
    """What the rules read and write of a simulated user (run.UserResult)."""

    id: str
    upn: str | None
    scim: dict[str, Any] | None
    problems: list[str]
    warnings: tuple[str, ...]


U = TypeVar("U", bound=UserResult)

WORK_EMAIL = 'emails[type eq "work"].value'
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Microsoft lists no "special characters" (see the module's docstring): this check's own reading is anything outside
# the characters of a plain address, ASCII letters, digits and . _ - + @.
_PLAIN = re.compile(r"[A-Za-z0-9._+@-]*")  # what Entra surely filters on; one match a name, not one a character
DUPLICATE_SOURCE = "DuplicateSourceEntries"


def duplicate_user_names(users: Iterable[U]) -> dict[str, list[U]]:
    """userName (case-folded, as Webex compares it) -> the provisioned users sharing it, two or more each."""
    by_name: dict[str, list[U]] = defaultdict(list)
    for user in users:
        name = (user.scim or {}).get("userName")
        if isinstance(name, str) and name.strip():
            by_name[name.casefold()].append(user)
    return {name: same for name, same in by_name.items() if len(same) > 1}


def _also(user: UserResult, same: list[UserResult]) -> str:
    others = [o for o in same if o is not user]
    return ", ".join(o.upn or o.id for o in others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")


def duplicate_source_reason(user: UserResult, same: list[UserResult]) -> str:
    name = (user.scim or {}).get("userName")
    return (
        f"duplicate userName {name!r} (also {_also(user, same)}, without regard to case): Entra fails both with "
        f"{DUPLICATE_SOURCE} (more than one user has the matching attribute) and sends neither; remove the duplicate "
        "or change what userName is mapped from (webex-scim:mappings.userNameSource)"
    )


def work_email_problem(payload: dict[str, Any], user_name_source: str | None = None) -> str | None:
    """The mapped work email differs from userName (without case): Webex may refuse the user."""
    emails = payload.get("emails")
    name = payload.get("userName")
    if not isinstance(emails, list) or not isinstance(name, str):
        return None
    work = next((e.get("value") for e in emails if isinstance(e, dict) and e.get("type") == "work"), None)
    if not isinstance(work, str) or work.casefold() == name.casefold():
        return None
    source = f"userName's source, {user_name_source}" if user_name_source else "the source userName has"
    return (
        f"work email {work!r} is not userName {name!r}: Webex requires the primary work email to equal userName "
        f"and Entra sends the mapped work email as primary, so Webex may refuse this user; map {WORK_EMAIL} from "
        f"{source}, or set webex-scim:mappings.userNameSource to the attribute the work email comes from"
    )


def user_name_problem(name: str) -> str | None:
    if not name.strip():
        return "userName is empty: Webex needs the user's email address"
    if not _EMAIL.match(name):
        return f"userName {name!r} is not an email address: Webex userName is the user's primary email"
    return None


def domain_problem(name: str, verified: Iterable[str]) -> str | None:
    domains = {d.lower() for d in verified}
    if not domains or "@" not in name:
        return None
    domain = name.rsplit("@", 1)[1].lower()
    if domain in domains:
        return None
    return (
        f"userName domain {domain!r} is not a verified domain of the Webex org (webex-scim:verifiedDomains: "
        f"{', '.join(sorted(domains))}): Webex refuses to create it"
    )


def filter_warning(name: str) -> str | None:
    """A userName with characters Entra's filter query may fail on (a warning: Microsoft does not list them)."""
    if _PLAIN.fullmatch(name):
        return None
    odd = sorted({c for c in name if not _PLAIN.fullmatch(c)})
    shown = " ".join(repr(c) for c in odd[:8]) + (" …" if len(odd) > 8 else "")
    return (
        f"userName {name!r} has characters Entra may fail to filter on ({shown}): Microsoft's known issues say a "
        "provisioning attempt fails when a matching attribute holds special characters, without saying which; this "
        "check flags any character but ASCII letters, digits and . _ - + @"
    )


def check_across(results: list[U], verified: list[str], user_name_source: str | None = None) -> None:
    """Each provisioned user's problems and warnings that the payload alone, or the users together, show."""
    by_external: dict[str, list[U]] = defaultdict(list)
    for result in results:
        if result.scim is None:
            continue
        name = result.scim.get("userName")
        if isinstance(name, str):
            problem = user_name_problem(name)
            if problem is None:
                problem = domain_problem(name, verified)
                warning = filter_warning(name)
                if warning:
                    result.warnings = (*result.warnings, warning)
            if problem:
                result.problems.append(problem)
        mismatch = work_email_problem(result.scim, user_name_source)
        if mismatch:
            result.problems.append(mismatch)
        external = result.scim.get("externalId")
        if isinstance(external, str) and external:
            by_external[external].append(result)
    for same in duplicate_user_names(results).values():
        for result in same:
            result.problems.append(duplicate_source_reason(result, same))
    for same in by_external.values():
        if len(same) < 2:
            continue
        for result in same:
            result.problems.append(
                f"duplicate externalId {(result.scim or {})['externalId']!r} (also {_also(result, same)}): Webex keeps "
                "externalId unique, so only one of these users can be created"
            )
