"""`--check-with-graph`: Graph evaluates each of the stack's expressions for a few users, and we compare.

Graph's `synchronizationSchema: parseExpression` parses an expression and, given a `testInputObject`, evaluates it
(microsoft-graph-docs-contrib api-reference/v1.0/api/synchronization-synchronizationschema-parseexpression.md: a
`properties` list of `{key, value}` pairs, multi-valued ones typed `#Collection(String)`; the answer's
`evaluationResult` is a list of strings). The job is the stack's provisioning job: the service principal given by
`app.existingServicePrincipalObjectId`, else the one named `app.displayName`, and its first job.

A user whose result differs gets a problem naming both values; an attribute the simulation did not simulate gets
Graph's value as a note in its problems, so the reader learns what Entra would send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from webex_scim.errors import EngineError, UsageError

from .evaluate import Evaluator
from .expressions import ExpressionSyntaxError, attributes_of, parse
from .run import PROVISION, Simulation
from .snapshot import Snapshot
from .stack import SimulationStack
from .values import DROPPED, NotSimulated, text

SAMPLE = 3  # users per expression: enough to see a disagreement, few enough for Graph's throttling


@dataclass
class CheckReport:
    checked: int = 0  # (expression, user) pairs Graph evaluated
    expressions: int = 0
    mismatches: int = 0

    @property
    def summary(self) -> str:
        return (
            f"Graph's parseExpression evaluated {self.expressions} expression(s) for {self.checked} user sample(s): "
            f"{self.mismatches} mismatch(es) with the simulation"
        )


def _input_value(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {"value@odata.type": "#Collection(String)", "value": [str(v) for v in value]}
    return {"value": text(value, "a test input")}


def _ours(evaluator: Evaluator, expression: str, attrs: dict[str, Any]) -> list[str] | str:
    """The simulation's value as Graph writes evaluationResult, or why it is not simulated."""
    try:
        value = evaluator.compile(expression)(attrs)
    except NotSimulated as exc:
        return str(exc)
    if value is None or value is DROPPED:
        return []
    return [text(v, "a result") for v in value] if isinstance(value, list) else [text(value, "a result")]


def find_job(client: Any, stack: SimulationStack) -> tuple[str, str]:
    sp_id = stack.service_principal_id
    if sp_id is None:
        name = stack.app_display_name.replace("'", "''")
        found = (
            client.call(
                "listServicePrincipals",
                "GET",
                f"/servicePrincipals?$filter=displayName eq '{quote(name, safe='')}'&$select=id,displayName",
                expect_json=True,
            ).get("value")
            or []
        )
        if len(found) != 1:
            raise UsageError(
                f"--check-with-graph: {len(found)} service principals are named {stack.app_display_name!r}; "
                "set app.existingServicePrincipalObjectId to the Webex app's object ID"
                + (" (or run `pulumi up` first)" if not found else "")
            )
        sp_id = str(found[0]["id"])
    jobs = client.list_jobs(sp_id)
    if not jobs:
        raise UsageError(
            f"--check-with-graph: the service principal {sp_id} has no provisioning job yet; run pulumi up"
        )
    return sp_id, str(jobs[0]["id"])


def check_with_graph(
    stack: SimulationStack, snapshot: Snapshot, sim: Simulation, client: Any | None = None, sample: int = SAMPLE
) -> CheckReport:
    from components.graph.errors import GraphError

    from .attributes import attribute_problem
    from .graph_users import client_for

    own = client is None
    client = client or client_for(stack)
    report = CheckReport()
    try:
        sp_id, job_id = find_job(client, stack)
        path = f"/servicePrincipals/{quote(sp_id)}/synchronization/jobs/{quote(job_id)}/schema/parseExpression"
        evaluator = Evaluator(attribute_problem)
        attrs_by_id = {u.id: u.attrs for u in snapshot.users}
        provisioned = [u for u in sim.users if u.action == PROVISION][:sample]
        rows = [r for r in stack.rows if r.get("expression")]
        for expression in dict.fromkeys(str(r["expression"]) for r in rows):
            targets = [str(r["target"]) for r in rows if r["expression"] == expression]
            try:
                names = attributes_of(parse(expression))
            except ExpressionSyntaxError:
                names = set()
            report.expressions += 1
            for result in provisioned:
                attrs = attrs_by_id[result.id]
                properties = [{"key": n, **_input_value(attrs[n])} for n in sorted(names) if attrs.get(n) is not None]
                answer = client.call(
                    "parseExpression",
                    "POST",
                    path,
                    body={
                        "expression": expression,
                        "targetAttributeDefinition": None,
                        "testInputObject": {"definition": None, "properties": properties},
                    },
                    expect_json=True,
                )
                report.checked += 1
                theirs = answer.get("evaluationResult") if answer.get("evaluationSucceeded") else None
                ours = _ours(evaluator, expression, attrs)
                where = ", ".join(targets)
                if theirs is None:
                    error = answer.get("error") or {}
                    detail = error.get("message") if isinstance(error, dict) else error
                    result.problems.append(f"{where}: Graph's parseExpression could not evaluate it ({detail})")
                    report.mismatches += 1
                elif isinstance(ours, str):
                    result.problems.append(f"{where}: not simulated ({ours}); Graph's parseExpression gives {theirs!r}")
                elif [str(v) for v in theirs] != ours:
                    result.problems.append(
                        f"{where}: Graph's parseExpression gives {theirs!r}, the simulation {ours!r}: they disagree"
                    )
                    report.mismatches += 1
    except GraphError as exc:
        raise EngineError(f"--check-with-graph: {exc}") from None
    finally:
        if own:
            client.close()
    return report
