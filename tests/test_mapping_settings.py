"""`webex-scim:mappings`: what is accepted, what is refused (and how clearly), and the table it produces."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from components import catalog
from components.mapping_settings import (
    SCOPING_OPERATORS,
    MappingSettings,
    attribute_mappings_inputs,
    check_expression,
    desired_user_mappings,
)

DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"


def errors(config: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        MappingSettings.model_validate(config)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


# (config, expected error location, fragment of the message)
INVALID: list[tuple[str, dict[str, Any], tuple[Any, ...], str]] = [
    (
        "unknown target",
        {"overrides": [{"target": "titel", "source": "jobTitle"}]},
        ("overrides", 0, "target"),
        "did you mean 'title'?",
    ),
    (
        "duplicate target",
        {"overrides": [{"target": "title", "source": "jobTitle"}, {"target": "title", "constant": "x"}]},
        ("overrides",),
        "appears twice (overrides[0] and overrides[1])",
    ),
    (
        "empty expression",
        {"overrides": [{"target": "title", "expression": "   "}]},
        ("overrides", 0, "expression"),
        "must not be empty",
    ),
    (
        "unclosed paren",
        {"overrides": [{"target": "title", "expression": 'Join(" ", [a], [b]'}]},
        ("overrides", 0, "expression"),
        "'(' at column 5 is never closed",
    ),
    (
        "extra paren",
        {"overrides": [{"target": "title", "expression": "Trim([a]))"}]},
        ("overrides", 0, "expression"),
        "')' at column 10 has no matching '('",
    ),
    (
        "unclosed bracket",
        {"overrides": [{"target": "title", "expression": "Trim([a)"}]},
        ("overrides", 0, "expression"),
        "unbalanced brackets",
    ),
    (
        "stray bracket",
        {"overrides": [{"target": "title", "expression": "Trim(a])"}]},
        ("overrides", 0, "expression"),
        "']' at column 7 has no matching '['",
    ),
    (
        "unclosed quote",
        {"overrides": [{"target": "title", "expression": 'Join(" , [a])'}]},
        ("overrides", 0, "expression"),
        "string opened at column 6 is never closed",
    ),
    (
        "two sources",
        {"overrides": [{"target": "title", "source": "jobTitle", "constant": "x"}]},
        ("overrides", 0),
        "exactly one of source, expression, constant (got source and constant)",
    ),
    ("no source", {"overrides": [{"target": "title"}]}, ("overrides", 0), "(got none)"),
    (
        "default with constant",
        {"overrides": [{"target": "title", "constant": "x", "defaultValue": "y"}]},
        ("overrides", 0),
        "defaultValue has no effect with a constant",
    ),
    (
        "userName via override",
        {"overrides": [{"target": "userName", "source": "mail"}]},
        ("overrides", 0),
        "userNameSource",
    ),
    (
        "bad flow type",
        {"overrides": [{"target": "title", "source": "jobTitle", "flowType": "Sometimes"}]},
        ("overrides", 0, "flowType"),
        "'Always' or 'ObjectAddOnly'",
    ),
    ("unknown key", {"overides": []}, ("overides",), "Extra inputs are not permitted"),
    (
        "unknown operator",
        {"scopingFilter": [{"clauses": [{"attribute": "department", "operator": "equals", "values": ["Sales"]}]}]},
        ("scopingFilter", 0, "clauses", 0, "operator"),
        "did you mean 'EQUALS'?",
    ),
    (
        "portal spelling",
        {"scopingFilter": [{"clauses": [{"attribute": "department", "operator": "NOT EQUALS", "values": ["Sales"]}]}]},
        ("scopingFilter", 0, "clauses", 0, "operator"),
        "unknown scoping operator 'NOT EQUALS'",
    ),
    (
        "unary with values",
        {"scopingFilter": [{"clauses": [{"attribute": "jobTitle", "operator": "IS_NULL", "values": ["x"]}]}]},
        ("scopingFilter", 0, "clauses", 0),
        "IS_NULL tests the attribute alone",
    ),
    (
        "binary without values",
        {"scopingFilter": [{"clauses": [{"attribute": "department", "operator": "EQUALS"}]}]},
        ("scopingFilter", 0, "clauses", 0),
        "give at least one in values",
    ),
    (
        "integer operator",
        {"scopingFilter": [{"clauses": [{"attribute": "employeeId", "operator": "Greater_Than", "values": ["ten"]}]}]},
        ("scopingFilter", 0, "clauses", 0),
        "compares integers",
    ),
    ("empty group", {"scopingFilter": [{"clauses": []}]}, ("scopingFilter", 0, "clauses"), "at least 1 item"),
    ("remove required", {"remove": ["externalId"]}, ("remove",), "'externalId' is required by Webex"),
    ("remove unknown", {"remove": ["nickname"]}, ("remove",), "did you mean 'nickName'?"),
    ("remove twice", {"remove": ["nickName", "nickName"]}, ("remove",), "listed twice"),
    (
        "override and remove",
        {"overrides": [{"target": "title", "source": "jobTitle"}], "remove": ["title"]},
        (),
        "both overridden (overrides[0]) and removed",
    ),
    ("userName not email", {"userNameSource": "employeeId"}, ("userNameSource",), "not an email-format attribute"),
    ("userName typo", {"userNameSource": "Mail"}, ("userNameSource",), "did you mean 'mail'?"),
    # Multi-valued attributes (AUDIT-2026-11 F12): several addresses, never the one primary email Webex needs.
    (
        "userName from otherMails",
        {"userNameSource": "otherMails"},
        ("userNameSource",),
        "otherMails holds several addresses (a list of the user's other email addresses), but Webex userName is one "
        "address, the user's primary email; use mail",
    ),
    (
        "userName from proxyAddresses",
        {"userNameSource": "proxyAddresses"},
        ("userNameSource",),
        "proxyAddresses holds several addresses (a list of addresses prefixed SMTP: (the primary one) or smtp:)",
    ),
]


@pytest.mark.parametrize(("case", "config", "loc", "fragment"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_config_is_refused_clearly(
    case: str, config: dict[str, Any], loc: tuple[Any, ...], fragment: str
) -> None:
    found = errors(config)
    assert any(where == loc and fragment in message for where, message in found), found


VALID: list[dict[str, Any]] = [
    {},
    {"userNameSource": "mail"},
    {
        "overrides": [
            {
                "target": DEPARTMENT,
                "expression": 'Join(" ", [department], [companyName])',
                "flowType": "ObjectAddOnly",
                "defaultValue": "Unknown",
            }
        ]
    },
    {"overrides": [{"target": "title", "expression": 'IIF([jobTitle]="(", "\\"[", "])")'}]},  # brackets inside strings
    {"overrides": [{"target": "userType", "constant": "Employee"}]},
    {"remove": ["nickName"]},
    {
        "scopingFilter": [
            {
                "clauses": [
                    {"attribute": "department", "operator": "EQUALS", "values": ["Sales"]},
                    {"attribute": "accountEnabled", "operator": "IS_TRUE"},
                ]
            },
            {"clauses": [{"attribute": "employeeId", "operator": "Greater_Than_OR_EQUALS", "values": ["1000"]}]},
        ]
    },
    {"groupObjects": True},
]


@pytest.mark.parametrize("config", VALID)
def test_valid_config_is_accepted(config: dict[str, Any]) -> None:
    MappingSettings.model_validate(config)


def test_operator_names_are_graphs() -> None:
    for name in (
        "EQUALS",
        "NOT_EQUALS",
        "IS_TRUE",
        "IS_FALSE",
        "IS_NULL",
        "IS_NOT_NULL",
        "REGEX_MATCH",
        "NOT_REGEX_MATCH",
        "Greater_Than",
        "Less_Than",
    ):
        assert name in SCOPING_OPERATORS


def test_check_expression_accepts_escaped_quotes() -> None:
    assert check_expression('Replace([a], "\\"", , , "x", , )')


def test_defaults_are_the_catalog_table() -> None:
    rows = desired_user_mappings(MappingSettings())
    assert [r["target"] for r in rows] == [r["target"] for r in catalog.default_user_mappings()]
    user_name = rows[0]
    assert user_name == {
        "target": "userName",
        "source": "userPrincipalName",
        "expression": None,
        "constant": None,
        "flowType": "Always",
        "matchingPriority": 1,
        "defaultValue": None,
    }
    assert all(set(r) == set(user_name) for r in rows)
    assert all(r["matchingPriority"] is None for r in rows[1:])


def test_overrides_removals_and_user_name_source_are_applied_in_stable_order() -> None:
    settings = MappingSettings.model_validate(
        {
            "userNameSource": "mail",
            "overrides": [
                {"target": "title", "source": "jobTitle"},
                {"target": "displayName", "expression": 'Join(" ", [givenName], [surname])'},
                {
                    "target": DEPARTMENT,
                    "expression": 'Join(" ", [department], [companyName])',
                    "flowType": "ObjectAddOnly",
                    "defaultValue": "Unknown",
                },
            ],
            "remove": ["name.familyName"],
        }
    )
    rows = desired_user_mappings(settings)
    assert [r["target"] for r in rows] == [
        "userName",
        "active",
        "displayName",
        "name.givenName",
        "externalId",
        "title",
        DEPARTMENT,
    ]
    by_target = {r["target"]: r for r in rows}
    assert by_target["userName"]["source"] == "mail" and by_target["userName"]["matchingPriority"] == 1
    assert by_target["displayName"]["source"] is None
    assert by_target["displayName"]["expression"] == 'Join(" ", [givenName], [surname])'
    assert by_target[DEPARTMENT]["flowType"] == "ObjectAddOnly"
    assert by_target[DEPARTMENT]["defaultValue"] == "Unknown"
    assert desired_user_mappings(settings) == rows  # deterministic


def test_attribute_mappings_inputs_shape() -> None:
    settings = MappingSettings.model_validate(
        {
            "remove": ["nickName"],
            "groupObjects": False,
            "scopingFilter": [{"clauses": [{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]}],
        }
    )
    inputs = attribute_mappings_inputs(settings)
    assert set(inputs) == {"userMappings", "removedTargets", "scopingFilter", "groupObjects", "userNameSource"}
    assert inputs["scopingFilter"] == [
        {"clauses": [{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]}
    ]
    assert inputs["removedTargets"] == ["nickName"]
    assert inputs["userNameSource"] == "userPrincipalName"


def test_snake_case_names_work_in_code() -> None:
    settings = MappingSettings(user_name_source="mail", group_objects=True)
    assert settings.user_name_source == "mail" and settings.group_objects is True


def test_only_single_valued_email_attributes_can_feed_user_name() -> None:
    assert catalog.email_format_sources() == ["userPrincipalName", "mail"]
    for source in ("userPrincipalName", "mail"):
        assert MappingSettings.model_validate({"userNameSource": source}).user_name_source == source


# -- what reaches Graph: attribute names, the operators, an override's defaults ------------------------------------


@pytest.mark.parametrize(
    ("config", "loc"),
    [
        ({"overrides": [{"target": "title", "source": "[jobTitle]"}]}, ("overrides", 0, "source")),
        (
            {"scopingFilter": [{"clauses": [{"attribute": "[jobTitle]", "operator": "IS_NOT_NULL"}]}]},
            ("scopingFilter", 0, "clauses", 0, "attribute"),
        ),
    ],
    ids=["override-source", "scoping-attribute"],
)
def test_a_source_or_scoping_attribute_that_is_not_an_attribute_name_never_reaches_graph(config, loc):
    assert errors(config) == [
        (loc, "Value error, '[jobTitle]' is not an Entra attribute name (letters, digits, '_', '.', '-')")
    ]


def test_a_misspelt_attribute_name_is_refused_with_the_one_it_is_a_typo_of():
    config = {"scopingFilter": [{"clauses": [{"attribute": "Department", "operator": "EQUALS", "values": ["Sales"]}]}]}
    assert errors(config) == [
        (
            ("scopingFilter", 0, "clauses", 0, "attribute"),
            "Value error, 'Department' is not an Entra user attribute: attribute names are case-sensitive; did you "
            "mean 'department'?",
        )
    ]


def test_an_override_flows_always_unless_it_says_otherwise():
    settings = MappingSettings.model_validate(
        {"overrides": [{"target": "title", "source": "jobTitle"}, {"target": "nickName", "constant": "x"}]}
    )
    by_target = {r["target"]: r for r in desired_user_mappings(settings)}
    assert by_target["title"] == {
        "target": "title",
        "source": "jobTitle",
        "expression": None,
        "constant": None,
        "flowType": "Always",
        "matchingPriority": None,
        "defaultValue": None,
    }
    assert by_target["nickName"]["flowType"] == "Always" and by_target["nickName"]["constant"] == "x"


@pytest.mark.parametrize("operator", ["&", "!&"], ids=["bit-and", "not-bit-and"])
def test_the_bitwise_operators_take_values_and_reach_the_resource_as_written(operator):
    clause = {"attribute": "extensionAttribute1", "operator": operator, "values": ["4"]}
    settings = MappingSettings.model_validate({"scopingFilter": [{"clauses": [clause]}]})
    assert attribute_mappings_inputs(settings)["scopingFilter"] == [{"clauses": [clause]}]
    without_values = {"scopingFilter": [{"clauses": [{**clause, "values": []}]}]}
    assert errors(without_values) == [
        (
            ("scopingFilter", 0, "clauses", 0),
            f"Value error, {operator} compares against values; give at least one in values",
        )
    ]


# -- the table Graph receives ---------------------------------------------------------------------------------------

SWITCH = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'


def row(target, source=None, expression=None, *, priority=None):
    return {
        "target": target,
        "source": source,
        "expression": expression,
        "constant": None,
        "flowType": "Always",
        "matchingPriority": priority,
        "defaultValue": None,
    }


def test_the_default_table_is_the_webex_articles_mappings_row_for_row():
    assert desired_user_mappings(MappingSettings()) == [
        row("userName", "userPrincipalName", priority=1),
        row("active", expression=SWITCH),
        row("displayName", "displayName"),
        row("name.givenName", "givenName"),
        row("name.familyName", "surname"),
        row("externalId", "objectId"),
    ]


def test_a_default_row_reaches_the_table_with_every_field_the_catalog_gives_it(monkeypatch):
    # The catalog is the one table of defaults: a row it gives with a flow type, a default or a constant is applied
    # as written, and userName keeps what its row says besides the source and the matching priority.
    rows = [
        {
            "target": "userName",
            "source": "mail",
            "flowType": "ObjectAddOnly",
            "defaultValue": "x",
            "matchingPriority": 3,
        },
        {"target": "title", "constant": "Staff", "flowType": "ObjectAddOnly", "matchingPriority": 0},
        {"target": "displayName", "expression": "Trim([displayName])", "defaultValue": "Unknown"},
    ]
    monkeypatch.setitem(catalog.catalog(), "defaultUserMappings", rows)
    assert desired_user_mappings(MappingSettings()) == [
        {**row("userName", "userPrincipalName", priority=1), "flowType": "ObjectAddOnly", "defaultValue": "x"},
        {**row("title"), "constant": "Staff", "flowType": "ObjectAddOnly", "matchingPriority": 0},
        {**row("displayName", expression="Trim([displayName])"), "defaultValue": "Unknown"},
    ]


def test_user_name_is_mapped_even_when_the_catalog_has_no_row_for_it(monkeypatch):
    monkeypatch.setitem(catalog.catalog(), "defaultUserMappings", [{"target": "displayName", "source": "displayName"}])
    assert desired_user_mappings(MappingSettings.model_validate({"userNameSource": "mail"})) == [
        row("displayName", "displayName"),
        row("userName", "mail", priority=1),
    ]


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("", "expression must not be empty"),
        (
            "Trim([a[b])",
            "unbalanced brackets in expression: '[' at column 8 inside the attribute reference opened at column 6",
        ),
        (
            'Trim([a"b])',
            "unbalanced brackets in expression: '\"' at column 8 inside the attribute reference opened at column 6",
        ),
    ],
    ids=["empty", "bracket-in-a-reference", "quote-in-a-reference"],
)
def test_a_broken_expression_is_refused_with_where_it_breaks(expression, problem):
    with pytest.raises(ValueError) as caught:
        check_expression(expression)
    assert str(caught.value) == problem


def test_an_attribute_with_capitals_inside_a_reference_is_fine():
    assert check_expression("Trim([extension_0123456789abcdef0123456789abcdef_XRef])")


def test_a_name_nothing_is_close_to_gets_no_guess():
    assert errors({"remove": ["nick"]}) == [
        (
            ("remove",),
            "Value error, 'nick' is not a Webex user attribute (known targets are listed in "
            "components/webex_catalog.json webexUserAttributes)",
        )
    ]
