"""`match`'s reading of a Webex org: GET only, the queries Entra itself sends, bounded in time.

* **The probe**, as Entra's Test Connection (Microsoft's SCIM tutorial: it "queries the SCIM endpoint for a user that
  doesn't exist, using a random GUID as the matching property" and expects an empty ListResponse): one `userName eq`
  on a random GUID. 401, 403, 404, an answer that is not a ListResponse, or one that lists users for a GUID stop the
  run with one message naming the likely cause (UsageError, exit 2).
* **Per user**, Entra's own lookup, `filter=userName eq "…"` (Webex matches it without case), and for a user it
  finds nothing for, the near-miss lookups: `emails.value eq` each of the user's addresses (userName, mail, UPN),
  and `userName eq` the addresses that are not its userName. Never `externalId`: Webex does not list it as
  filterable. At most `concurrency` requests are in flight.
* **With `--list-org`**, the whole org instead, `sortBy=id` in pages of up to 1,000 (`count`; a server giving fewer
  a page is followed as it pages), a 504 answered by halving the page (Webex: "try to reduce" it), matched locally:
  about one request per thousand users, and the Webex users no Entra user reaches.

Every request goes through scim_http.ScimHttp with `read_only=True` (nothing but GET can leave), Webex's 423, 429 and
503 retried as `Retry-After` says (capped), and one deadline for the whole run. What could not be read is said:
`partial` holds why, and a user whose lookup failed has the reason instead of an answer.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from webex_scim.errors import UsageError

from .scim_http import Retries, ScimHttp
from .webex_users import NotScim, WebexAccount, page

RETRIES = Retries(statuses=frozenset({423, 429, 503}), attempts=4, cap=60.0)
MAX_PAGE = 1000  # asked for each page; Webex documents no maximum (its default is 100), scim2-server caps at 1,000
MIN_PAGE = 10
MAX_PAGES = 100_000
STOPPING = frozenset({401, 403})  # the token no longer reads: nothing after it would


def quoted(value: str) -> str:
    """A SCIM filter string literal (RFC 7644 §3.4.2.2: JSON string escaping)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Wanted:
    key: int
    user_name: str
    addresses: tuple[str, ...]  # the user's other addresses (mail, UPN), for the near-miss lookups


@dataclass
class Found:
    matches: list[WebexAccount] = field(default_factory=list)
    near: list[tuple[str, WebexAccount]] = field(default_factory=list)  # (the address, the Webex user holding it)
    error: str | None = None  # why the user could not be read (then the rest says nothing)


class _Failed(Exception):
    pass


PROBE_CAUSES = {
    401: "the token is expired, revoked, or for another org: make a new one and export it in {env}",
    403: "the token is valid but may not read users: its admin needs a role that reads users (full, user or "
    "read-only admin) and the token a scope that does (identity:people_read, or the Identity:SCIM of Entra's)",
    404: "no SCIM Users endpoint there: check webex-scim:orgId (the org's UUID, not its base64 form) and "
    "webex-scim:offer / webex-scim:tenantUrl, or --scim-url",
}


class Reader:
    def __init__(self, scim: ScimHttp, progress: Callable[[int, int], None] | None = None) -> None:
        self.scim = scim
        self.progress = progress
        self.partial: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _say_partial(self, reason: str) -> None:
        with self._lock:
            if reason not in self.partial:
                self.partial.append(reason)

    def _get(self, params: dict[str, str | int], what: str) -> httpx.Response:
        try:
            return self.scim.http.get("/Users", params=params)
        except httpx.TimeoutException:
            left = self.scim.seconds_left()
            if left is not None and left <= 0.5:
                self._stop.set()
                self._say_partial("the deadline (--deadline) passed: what was not read by then is not in the report")
                raise _Failed("not read: the deadline passed") from None
            raise _Failed(self.scim.safe(f"{what}: no answer in time")) from None
        except httpx.HTTPError as exc:
            raise _Failed(self.scim.safe(f"{what}: {type(exc).__name__} ({exc})")) from None

    def probe(self, env: str) -> None:
        """Entra's Test Connection; UsageError (exit 2) naming the likely cause when the server is not a SCIM
        endpoint this token reads."""
        guid = str(uuid.uuid4())
        base = str(self.scim.http.base_url).rstrip("/")
        where = f'the probe (GET {base}/Users?filter=userName eq "{guid}")'
        try:
            response = self._get({"filter": f"userName eq {quoted(guid)}"}, where)
        except _Failed as exc:
            raise UsageError(f"{exc}: is the SCIM base URL right, and the server up?") from None
        cause = PROBE_CAUSES.get(response.status_code)
        if cause:
            raise UsageError(f"{self.scim.error(where, response)}: {cause.format(env=env)}")
        if response.status_code != 200:
            raise UsageError(f"{self.scim.error(where, response)}: not the empty ListResponse Entra expects")
        try:
            found = page(response.json())
        except (ValueError, NotScim) as exc:
            raise UsageError(
                f"{where} answered {exc if isinstance(exc, NotScim) else 'something that is not JSON'}: is the URL "
                "the SCIM base (…/identity/scim/{orgId}/v2)?"
            ) from None
        if found.count or found.total:
            raise UsageError(
                f"{where} answered {found.total or found.count} user(s) for a random GUID: the server does not apply "
                "the filter, so every lookup would find users that do not match"
            )

    def _search(self, filter_: str) -> list[WebexAccount]:
        if self._stop.is_set():
            raise _Failed("not read: the run stopped before this user")
        what = f"GET /Users?filter={filter_}"
        response = self._get({"filter": filter_}, what)
        if response.status_code in STOPPING:
            self._stop.set()
            self._say_partial(
                self.scim.error("a lookup", response) + ": the token stopped reading mid-run; the users not read "
                "before that are not in the report"
            )
        if response.status_code != 200:
            raise _Failed(self.scim.error(what, response))
        try:
            return page(response.json()).accounts
        except (ValueError, NotScim) as exc:
            raise _Failed(f"{what} answered {exc}") from None

    def _one(self, wanted: Wanted) -> Found:
        def by_name(value: str) -> list[WebexAccount]:
            return self._search(f"userName eq {quoted(value)}")

        def by_email(value: str) -> list[WebexAccount]:
            return self._search(f"emails.value eq {quoted(value)}")

        try:
            return find(wanted, by_name, by_email)
        except _Failed as exc:
            return Found(error=str(exc))

    def lookup(self, wanted: list[Wanted], concurrency: int) -> dict[int, Found]:
        """Each user as Entra looks them up, `concurrency` at a time."""
        out: dict[int, Found] = {}
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="match") as pool:
            try:
                for done, (want, found) in enumerate(zip(wanted, pool.map(self._one, wanted), strict=True), 1):
                    out[want.key] = found
                    if self.progress:
                        self.progress(done, len(wanted))
            except BaseException:
                self._stop.set()  # a Ctrl-C: the queued lookups end at once, the running ones at their answer
                raise
        failed = sum(1 for f in out.values() if f.error)
        if failed:
            self._say_partial(f"{failed:,} of {len(wanted):,} users could not be looked up (each says why)")
        return out

    def list_org(self) -> list[WebexAccount]:
        """Every user of the org, by id; `partial` says when the listing is not the whole org."""
        accounts: dict[str, WebexAccount] = {}
        start, count, total, pages = 1, MAX_PAGE, None, 0
        while pages < MAX_PAGES:
            what = f"GET /Users?sortBy=id&startIndex={start}&count={count}"
            try:
                response = self._get(
                    {"sortBy": "id", "sortOrder": "ascending", "startIndex": start, "count": count}, what
                )
            except _Failed as exc:
                self._say_partial(f"the org listing stopped at user {start:,}: {exc}")
                break
            if response.status_code == 504 and count > MIN_PAGE:
                count = max(MIN_PAGE, count // 2)  # Webex: a 504 asks for a smaller page
                continue
            if response.status_code != 200:
                self._say_partial(f"the org listing stopped at user {start:,}: {self.scim.error(what, response)}")
                break
            try:
                listed = page(response.json())
            except (ValueError, NotScim) as exc:
                self._say_partial(f"the org listing stopped at user {start:,}: {what} answered {exc}")
                break
            pages += 1
            if total is not None and listed.total is not None and listed.total != total:
                self._say_partial(
                    f"the org's user count changed while it was listed ({total:,}, then {listed.total:,}): users "
                    "added or removed meanwhile may be missing"
                )
            total = listed.total if listed.total is not None else total
            for found in listed.accounts:
                accounts.setdefault(found.id, found)
            if self.progress and total:
                self.progress(min(start - 1 + listed.count, total), total)
            if listed.count == 0:
                break
            start += listed.count
            if total is not None and start > total:
                break
        return list(accounts.values())


def index(accounts: Iterable[WebexAccount]) -> tuple[dict[str, list[WebexAccount]], dict[str, list[WebexAccount]]]:
    """(case-folded userName -> users, case-folded email address -> users): how a listed org is matched locally."""
    by_name: dict[str, list[WebexAccount]] = {}
    by_email: dict[str, list[WebexAccount]] = {}
    for found in accounts:
        by_name.setdefault(found.user_name.casefold(), []).append(found)
        for address in found.emails:
            by_email.setdefault(address.casefold(), []).append(found)
    return by_name, by_email


def find(
    wanted: Wanted, by_name: Callable[[str], list[WebexAccount]], by_email: Callable[[str], list[WebexAccount]]
) -> Found:
    """Entra's lookup by userName; for a user it finds nothing for, the Webex users that hold one of the user's
    addresses in their emails, or as their userName."""
    found = Found(matches=by_name(wanted.user_name))
    if found.matches:
        return found
    seen: set[str] = set()
    near: dict[str, tuple[str, WebexAccount]] = {}
    for address in (wanted.user_name, *wanted.addresses):
        folded = address.casefold()
        if folded in seen:
            continue
        seen.add(folded)
        holders = by_email(address) + (by_name(address) if folded != wanted.user_name.casefold() else [])
        for holder in holders:
            near.setdefault(holder.id, (address, holder))
    found.near = list(near.values())
    return found


def found_locally(
    wanted: Wanted, by_name: dict[str, list[WebexAccount]], by_email: dict[str, list[WebexAccount]]
) -> Found:
    """What the lookups would have found, from a listing (index)."""
    return find(wanted, lambda v: list(by_name.get(v.casefold(), ())), lambda v: list(by_email.get(v.casefold(), ())))
