"""A status report as the terminal shows it, as Markdown (the body of a GitHub issue per stack, found by its first
line `<!-- webex-scim-status:<stack> -->`), and several stacks' verdicts as one table (`--all`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from webex_scim.markdown_writer import prose

from .status_report import FAILING, HEALTHY, Report

MARKER = "<!-- webex-scim-status:{stack} -->"
_STYLE = {HEALTHY: "green", "attention": "yellow", FAILING: "bold red"}


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _execution(run: Mapping[str, Any]) -> str:
    if not run:
        return "none yet"
    error = _m(run.get("error"))
    detail = ": ".join(str(v) for v in (error.get("code"), error.get("message")) if v)
    counts = f"exported {run.get('countExported', 0)}, escrowed {run.get('countEscrowed', 0)}"
    return f"{run.get('state')} at {run.get('timeEnded') or run.get('timeBegan')} ({counts})" + (
        f": {detail}" if detail else ""
    )


def job_facts(job: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for every field of Graph's synchronizationStatus that says something."""
    status, schedule = _m(job.get("status")), _m(job.get("schedule"))
    code = str(status.get("code") or "unknown")
    quarantine = _m(status.get("quarantine"))
    if quarantine:
        error = _m(quarantine.get("error"))
        code += (
            f" (reason {quarantine.get('reason')}, since {quarantine.get('currentBegan')}, next attempt "
            f"{quarantine.get('nextAttempt')}, {quarantine.get('seriesCount')} in this series"
            + (f"; {error.get('code')}: {error.get('message')}" if error else "")
            + ")"
        )
    counts = ", ".join(f"{p.get('key')} {p.get('value')}" for p in status.get("synchronizedEntryCountByType") or [])
    facts = [
        ("status", code),
        ("schedule", f"{schedule.get('state')}, every {schedule.get('interval')}"),
        ("last cycle", _execution(_m(status.get("lastExecution")))),
        ("last successful cycle", _execution(_m(status.get("lastSuccessfulExecution")))),
        ("last cycle with exports", _execution(_m(status.get("lastSuccessfulExecutionWithExports")))),
        (
            "steady state",
            f"first {status.get('steadyStateFirstAchievedTime')}, last {status.get('steadyStateLastAchievedTime')}",
        ),
        ("successive complete failures", str(status.get("countSuccessiveCompleteFailures") or 0)),
        ("escrows pruned", "yes" if status.get("escrowsPruned") else "no"),
        ("synchronized", counts or "nothing yet"),
    ]
    if status.get("troubleshootingUrl"):
        facts.append(("troubleshooting", str(status["troubleshootingUrl"])))
    return facts


def _log_line(report: Report) -> str:
    logs = report.logs
    if not logs.get("read"):
        return "not read (see the notes)"
    by_action = ", ".join(f"{k} {v}" for k, v in (logs.get("byAction") or {}).items()) or "none"
    by_status = ", ".join(f"{k} {v}" for k, v in (logs.get("byStatus") or {}).items()) or "none"
    return f"{logs.get('events')} entries: {by_action}; {by_status}" + (" (partial)" if logs.get("partial") else "")


def _token_line(token: Mapping[str, Any]) -> str:
    if token.get("expiresOn") is None:
        text = "expiry not recorded (tokenExpiresOn)"
    else:
        text = f"expires {token['expiresOn']}, {token['daysLeft']} day(s) left (warning from {token['minDaysLeft']})"
    test = _m(token.get("testConnection"))
    if test:
        text += f"; Test Connection {'passed' if test.get('ok') else 'failed'}: {test.get('message')}"
    return text


def _users(failure: Mapping[str, Any]) -> str:
    more = f" (+{failure['moreUsers']} more)" if failure.get("moreUsers") else ""
    return ", ".join(failure.get("users") or []) + more


def _meaning(failure: Mapping[str, Any]) -> str:
    """Microsoft's meaning; for a code its table lacks, with the reason Graph gave."""
    if failure.get("inMicrosoftTable") or not failure.get("example"):
        return str(failure["meaning"])
    return f"{failure['meaning']} Reason given: {failure['example']}"


def terminal_lines(report: Report) -> list[tuple[str, str]]:
    verdict = report.verdict
    lines = [
        (_STYLE[verdict], f"Provisioning status of stack {report.stack}: {verdict.upper()}"),
        ("", f"  job {report.job_id} of service principal {report.service_principal_id} (ids from {report.ids_from})"),
    ]
    lines += [("", f"  {label}: {text}") for label, text in job_facts(report.job)]
    lines.append(("", f"  logs since {report.window['since']}: {_log_line(report)}"))
    for failure in report.failures:
        lines.append(("yellow", f"    {failure['errorCode']} x{failure['count']}: {failure['meaning']}"))
        lines.append(("", f"      fix: {failure['fix']}"))
        if failure.get("example"):
            lines.append(("", f"      reason given: {failure['example']}"))
        lines.append(("", f"      users: {_users(failure)}"))
    lines.append(("", f"  token: {_token_line(report.token)}"))
    lines += [("", f"  drift: {line}") for line in _drift_lines(report.drift)]
    for reason in report.reasons:
        lines.append((_STYLE[reason.verdict], f"  {reason.verdict} ({reason.rule}): {reason.message}"))
    lines += [("dim", f"  note: {note}") for note in report.notes]
    return lines


def _drift_lines(drift: Mapping[str, Any] | None) -> list[str]:
    if drift is None:
        return []
    if not drift.get("checked"):
        return [f"unknown: {drift.get('error')}"]
    if not drift.get("changes"):
        return ["none: the tenant holds what the stack says"]
    from .drift import describe

    return [describe(change) for change in drift["changes"]]


def _cell(text: Any) -> str:
    """A table cell of the issue body as a PR comment's (webex_scim/markdown_writer.py): commands in backticks as
    code, no address made a mailto link, no cell broken."""
    return prose(text)


def markdown(report: Report) -> str:
    """The issue body: marker, verdict, reasons with their rules, the job, the failures, the token, the notes."""
    out = [
        MARKER.format(stack=report.stack),
        f"## Provisioning status of `{report.stack}`: **{report.verdict}**",
        "",
    ]
    if report.reasons:  # a list, not a table: an error code is one long word, and a list wraps around it
        out += [f"- **{r.verdict}** (`{r.rule}`): {_cell(r.message)}" for r in report.reasons]
    else:
        out.append("No rule found anything wrong.")
    out += ["", "### Job", "", "| | |", "|---|---|"]
    out += [f"| {label} | {_cell(text)} |" for label, text in job_facts(report.job)]
    out += ["", f"### Provisioning logs since {report.window['since']}", "", _log_line(report), ""]
    if report.failures:
        out += ["| error code | count | meaning | fix | users |", "|---|---|---|---|---|"]
        out += [
            f"| `{f['errorCode']}` | {f['count']} | {_cell(_meaning(f))} | {_cell(f['fix'])} | {_cell(_users(f))} |"
            for f in report.failures
        ]
        out.append("")
    out += ["### Token", "", _token_line(report.token), ""]
    if report.drift is not None:
        out += ["### Drift (a refresh preview of the stack)", ""]
        out += [f"- {_cell(line)}" for line in _drift_lines(report.drift)]
        out.append("")
    out += [f"- {_cell(note)}" for note in report.notes]
    out += [
        "",
        f"Read {report.read_at} from Microsoft Graph: service principal `{report.service_principal_id}`, job "
        f"`{report.job_id}` ({report.ids_from}).",
    ]
    return "\n".join(out) + "\n"


def summary_lines(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """`--all`: one line per stack (verdict, job status, failures, token days left, the deciding rules)."""
    header = f"{'stack':<24} {'verdict':<10} {'job':<12} {'failures':>8} {'token':>7}  rules"
    lines = [("bold", header)]
    for row in rows:
        style = _STYLE.get(str(row.get("verdict")), "bold red")
        token = "" if row.get("daysLeft") is None else str(row["daysLeft"])
        text = (
            f"{row['stack']:<24} {row['verdict']:<10} {row.get('job') or '':<12} {row.get('failures', ''):>8} "
            f"{token:>7}  {row.get('rules') or row.get('error') or ''}"
        )
        lines.append((style, text))
    return lines
