"""Entra's expression language: every documented example of Microsoft's reference, evaluated.

Source: "Reference for writing expressions for attribute mappings in Microsoft Entra ID" (MicrosoftDocs/entra-docs,
docs/identity/app-provisioning/functions-for-customizing-application-data.md), plus the example of Graph's
`synchronizationSchema: parseExpression` (v1.0). Each case is the reference's expression, its sample input and the
output it documents; where the reference's own output cannot follow from its input, the case says why.
"""

from __future__ import annotations

import datetime as dt

import pytest

from provisioning_cycle.attributes import attribute_problem
from provisioning_cycle.evaluate import FUNCTIONS, Evaluator, evaluate, simulated_functions, unsimulated_functions
from provisioning_cycle.values import DROPPED, NotSimulated, text
from tests.simulate_support import case_id

# The reference's "List of Functions", as written there.
REFERENCE_FUNCTIONS = (
    "Append AppRoleAssignmentsComplex BitAnd CBool CDate Coalesce ConvertToBase64 ConvertToUTF8Hex Count CStr DateAdd "
    "DateDiff DateFromNum FormatDateTime Guid IgnoreFlowIfNullOrEmpty IIF InStr IsNull IsNullOrEmpty IsPresent "
    "IsString Item Join Left Mid NormalizeDiacritics Not Now NumFromDate PCase RandomString Redact RemoveDuplicates "
    "Replace SelectUniqueValue SingleAppRoleAssignment Split StripSpaces Switch ToLower ToUpper Word"
).split()

# DateDiff's Example 2: "set the accountEnabled attribute of the user to True only if hire date is within the next
# five days".
HIRE_WITHIN_FIVE_DAYS = (
    'Switch([Active], , "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"), "0", "False")'
)
CLOCK = dt.datetime(2021, 7, 2, 15, 33, 38, tzinfo=dt.UTC)  # the reference's example value of Now()


def run(expression: str, **attrs):
    """The expression's value, as text where .NET would write text (a DateTime as M/d/yyyy h:mm:ss tt)."""
    value = Evaluator(clock=lambda: CLOCK).compile(expression)(attrs)
    return text(value, "test") if isinstance(value, dt.datetime | bool) else value


def not_simulated(expression: str, **attrs) -> str:
    with pytest.raises(NotSimulated) as caught:
        Evaluator(attribute_problem, clock=lambda: CLOCK).compile(expression)(attrs)
    return str(caught.value)


def test_every_function_of_the_reference_is_implemented_or_declared_not_simulated():
    assert sorted(FUNCTIONS) == sorted(REFERENCE_FUNCTIONS)
    assert len(REFERENCE_FUNCTIONS) == 43
    assert sorted(unsimulated_functions()) == [
        "AppRoleAssignmentsComplex",
        "Guid",
        "RandomString",
        "SelectUniqueValue",
        "SingleAppRoleAssignment",
    ]
    assert len(simulated_functions()) == 38


DOCUMENTED = [
    # Append
    (
        'Append([userPrincipalName], ".test")',
        {"userPrincipalName": "John.Doe@contoso.com"},
        "John.Doe@contoso.com.test",
    ),
    # BitAnd: 11110111 AND 00001111 = 00000111
    ("BitAnd(&HF, &HF7)", {}, 7),
    # CBool: "Returns True if both attributes have the same value."
    ("CBool([attribute1] = [attribute2])", {"attribute1": "a", "attribute2": "a"}, "True"),
    ("CBool([attribute1] = [attribute2])", {"attribute1": "a", "attribute2": "b"}, "False"),
    # CDate: the UTC equivalent is returned
    ("CDate([StatusHireDate])", {"StatusHireDate": "2020-03-16-07:00"}, "3/16/2020 7:00:00 AM"),
    ('CDate("2021-06-30+08:00")', {}, "6/29/2021 4:00:00 PM"),
    ('CDate("2009-06-15T01:45:30-07:00")', {}, "6/15/2009 8:45:30 AM"),
    # Coalesce
    (
        "Coalesce([mail],[userPrincipalName])",
        {"mail": None, "userPrincipalName": "John.Doe@contoso.com"},
        "John.Doe@contoso.com",
    ),
    # ConvertToBase64 / ConvertToUTF8Hex
    ('ConvertToBase64("Hello world!")', {}, "SABlAGwAbABvACAAdwBvAHIAbABkACEA"),
    ('ConvertToUTF8Hex("Hello world!")', {}, "48656C6C6F20776F726C6421"),
    # CStr
    ("CStr([dn])", {"dn": "cn=Joe,dc=contoso,dc=com"}, "cn=Joe,dc=contoso,dc=com"),
    # DateAdd: the reference's table (StatusHireDate 2012-03-16-07:00)
    ('DateAdd("d", 7, CDate([StatusHireDate]))', {"StatusHireDate": "2012-03-16-07:00"}, "3/23/2012 7:00:00 AM"),
    ('DateAdd("d", -10, CDate([StatusHireDate]))', {"StatusHireDate": "2012-03-16-07:00"}, "3/6/2012 7:00:00 AM"),
    ('DateAdd("ww", 2, CDate([StatusHireDate]))', {"StatusHireDate": "2012-03-16-07:00"}, "3/30/2012 7:00:00 AM"),
    ('DateAdd("m", 10, CDate([StatusHireDate]))', {"StatusHireDate": "2012-03-16-07:00"}, "1/16/2013 7:00:00 AM"),
    ('DateAdd("yyyy", 2, CDate([StatusHireDate]))', {"StatusHireDate": "2012-03-16-07:00"}, "3/16/2014 7:00:00 AM"),
    # DateDiff: the reference's table
    ('DateDiff("d", CDate([a]), CDate([b]))', {"a": "2021-08-18+08:00", "b": "2021-08-31+08:00"}, 13),
    ('DateDiff("d", CDate([a]), CDate([b]))', {"a": "8/25/2021 5:41:18 PM", "b": "2012-03-16-07:00"}, -3449),
    ('DateDiff("ww", CDate([a]), CDate([b]))', {"a": "8/25/2021 5:41:18 PM", "b": "2012-03-16-07:00"}, -493),
    ('DateDiff("m", CDate([a]), CDate([b]))', {"a": "8/25/2021 5:41:18 PM", "b": "2012-03-16-07:00"}, -113),
    ('DateDiff("yyyy", CDate([a]), CDate([b]))', {"a": "8/25/2021 5:41:18 PM", "b": "2012-03-16-07:00"}, -9),
    ('DateDiff("d", CDate([a]), CDate([b]))', {"a": "2021-08-31+08:00", "b": "2021-08-31+08:00"}, 0),
    ('DateDiff("h", CDate([a]), CDate([b]))', {"a": "2021-08-24", "b": "2021-08-25"}, 24),
    ('DateDiff("n", CDate([a]), CDate([b]))', {"a": "2021-08-24", "b": "2021-08-25"}, 1440),
    ('DateDiff("s", CDate([a]), CDate([b]))', {"a": "2021-08-24", "b": "2021-08-25"}, 86400),
    # DateDiff Example 2 (Now() is 2021-07-02 15:33:38 UTC here): hire date within five days -> "True"
    (
        HIRE_WITHIN_FIVE_DAYS,
        {"Active": "1", "StatusHireDate": "2021-07-05"},
        "True",
    ),
    (
        HIRE_WITHIN_FIVE_DAYS,
        {"Active": "1", "StatusHireDate": "2021-08-31"},
        "False",
    ),
    (
        HIRE_WITHIN_FIVE_DAYS,
        {"Active": "0", "StatusHireDate": "2021-07-05"},
        "False",
    ),
    # DateFromNum: "a DateTime representing January 1, 2012 at 11:00PM"
    ("DateFromNum(129699324000000000)", {}, "1/1/2012 11:00:00 PM"),
    ("DateFromNum([lastLogonTimestamp])", {"lastLogonTimestamp": "129699324000000000"}, "1/1/2012 11:00:00 PM"),
    # FormatDateTime
    (
        'FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")',
        {"extensionAttribute1": "20150123105347.1Z"},
        "2015-01-23",
    ),
    # IgnoreFlowIfNullOrEmpty
    ("IgnoreFlowIfNullOrEmpty([department])", {"department": None}, DROPPED),
    ("IgnoreFlowIfNullOrEmpty([department])", {"department": ""}, DROPPED),
    ("IgnoreFlowIfNullOrEmpty([department])", {"department": "Sales"}, "Sales"),
    (
        'IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))',
        {"prefix": "3444"},
        "Prof.",
    ),
    (
        'IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))',
        {"prefix": "9999"},
        DROPPED,
    ),
    # IIF, its AND and OR workarounds, and the Switch workaround for empty values
    ('IIF([country]="USA",[country],[department])', {"country": "USA", "department": "Sales"}, "USA"),
    ('IIF([country]="USA",[country],[department])', {"country": "FR", "department": "Sales"}, "Sales"),
    ('IIF([country]="USA",IIF([state]="CA","True","False"),"False")', {"country": "USA", "state": "CA"}, "True"),
    ('IIF([country]="USA",IIF([state]="CA","True","False"),"False")', {"country": "USA", "state": "WA"}, "False"),
    ('IIF([country]="USA","True",IIF([state]="CA","True","False"))', {"country": "FR", "state": "CA"}, "True"),
    ('IIF([country]="USA","True",IIF([state]="CA","True","False"))', {"country": "FR", "state": "WA"}, "False"),
    ('Switch([country],[country],"","Other")', {"country": ""}, "Other"),
    ('Switch([country],[country],"","Other")', {"country": None}, "Other"),
    ('Switch([country],[country],"","Other")', {"country": "FR"}, "FR"),
    # InStr
    ('InStr("The quick brown fox","quick")', {}, 5),
    ('InStr("repEated","e",3,vbBinaryCompare)', {}, 7),
    # IsNull / IsNullOrEmpty / IsPresent / IsString
    ("IsNull([displayName])", {}, "True"),
    ("IsNull([displayName])", {"displayName": "x"}, "False"),
    ("IsNullOrEmpty([displayName])", {"displayName": ""}, "True"),
    ("IsNullOrEmpty([displayName])", {"displayName": "x"}, "False"),
    ("IsPresent([displayName])", {"displayName": "x"}, "True"),
    ("IsString([displayName])", {"displayName": "x"}, "True"),
    # Item: "returns the first item in the multi-valued attribute"
    (
        "Item([proxyAddresses], 1)",
        {"proxyAddresses": ["SMTP:a@contoso.com", "smtp:b@contoso.com"]},
        "SMTP:a@contoso.com",
    ),
    # Left: "Joh", and its stated rules
    ('Left("John Doe", 3)', {}, "Joh"),
    ('Left("John Doe", 0)', {}, ""),
    ('Left("John Doe", -1)', {}, "John Doe"),
    ("Left([missing], 3)", {}, ""),
    ('Left("Jo", 3)', {}, "Jo"),
    # Mid, through the reference's alias example
    ("Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))", {"givenName": "John", "surname": "Doe"}, "JohDoe"),
    # NormalizeDiacritics
    ("NormalizeDiacritics([givenName])", {"givenName": "Zoë"}, "Zoe"),
    # Not: "If source value is True, returns False. Otherwise, returns True."
    ('Not("True")', {}, "False"),
    ('Not("False")', {}, "True"),
    ("Not([IsSoftDeleted])", {"IsSoftDeleted": False}, "True"),
    # Now: "Example value returned 7/2/2021 3:33:38 PM"
    ("Now()", {}, "7/2/2021 3:33:38 PM"),
    # NumFromDate: Workday and SuccessFactors examples (2020-12-31 23:59:59-08:00 = 2021-01-01 07:59:59 UTC)
    (
        'NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))',
        {"ContractEndDate": "2020-12-31-08:00"},
        132539615990000000,
    ),
    (
        'NumFromDate(Join("",FormatDateTime([endDate], ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")," 23:59:59-08:00"))',
        {"endDate": "12/31/2020 12:00:00 AM"},
        132539615990000000,
    ),
    ('NumFromDate("1970-01-01T00:00:00Z")', {}, 116444736000000000),  # the Unix epoch as an AD date
    # PCase: the reference's table
    ("PCase([firstName])", {"firstName": "PABLO GONSALVES (SECOND)"}, "Pablo Gonsalves (Second)"),
    ('PCase([lastName]," \'-")', {"lastName": "PINTO-DE'SILVA"}, "Pinto-De'Silva"),
    ('PCase(Join(" ",[firstName],[lastName]))', {"firstName": "GREGORY", "lastName": "JAMES"}, "Gregory James"),
    # Redact: the value flows; only the logs hide it
    ("Redact([userPrincipalName])", {"userPrincipalName": "a@contoso.com"}, "a@contoso.com"),
    ('Redact("StringToBeRedacted")', {}, "StringToBeRedacted"),
    # RemoveDuplicates
    (
        "RemoveDuplicates([proxyAddresses])",
        {"proxyAddresses": ["SMTP:a@x.com", "smtp:b@x.com", "SMTP:a@x.com"]},
        ["SMTP:a@x.com", "smtp:b@x.com"],
    ),
    # Replace: examples 1 to 6
    (
        'Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )',
        {"BusinessTitle": "Product Developer"},
        "Software Engineer",
    ),
    ('Replace([UserID],"<username>", , , , , "<username>@contoso.com")', {"UserID": "jsmith"}, "jsmith@contoso.com"),
    (
        'Replace([telephoneNumber], , "\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})", , "${phoneNumber}", , )',
        {"telephoneNumber": "+91 9998887777"},
        "9998887777",
    ),
    # The reference says 19998887777, but its pattern [()\s-]+ cannot remove the leading "+".
    ('Replace([mobile], , "[()\\\\s-]+", , "", , )', {"mobile": "+1 (999) 888-7777"}, "+19998887777"),
    (
        'Replace([AddressLineData], ,"(?<streetNumber>^\\\\d*)","streetNumber", "888", , )',
        {"AddressLineData": "545 Tremont Street"},
        "888 Tremont Street",
    ),
    (
        'Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )',
        {"userPrincipalName": "jsmith@contoso.com"},
        "jsmith",
    ),
    (
        'Replace([telephoneNumber], , "\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})", "phoneNumber" , , '
        "[mobile], )",
        {"telephoneNumber": "", "mobile": "+91 8887779999"},
        "8887779999",
    ),
    ('Replace([mailNickname], , "[a-zA-Z_]*", , "", , )', {"mailNickname": "john_doe72"}, "72"),
    # Graph's parseExpression example: evaluationResult ["EN_US"]
    ('Replace([preferredLanguage], "-", , , "_", ,  )', {"preferredLanguage": "EN-US"}, "EN_US"),
    # Split, with pieces that carry no spaces
    (
        'Split([extensionAttribute5], ",")',
        {"extensionAttribute5": "PermissionSetOne,PermissionSetTwo"},
        ["PermissionSetOne", "PermissionSetTwo"],
    ),
    # StripSpaces
    ('StripSpaces("John Smith ")', {}, "JohnSmith"),
    # Switch: the reference's example and its notes
    (
        'Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", '
        '"Australia/Adelaide")',
        {"state": "QLD"},
        "Australia/Brisbane",
    ),
    (
        'Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", '
        '"Australia/Adelaide")',
        {"state": "VIC"},
        "Australia/Sydney",
    ),
    ('Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")', {"statusFlag": "TRUE"}, "1"),
    ('Switch([statusFlag], "Default Value", "true", "1", "", "0")', {"statusFlag": ""}, "0"),
    ('Switch([statusFlag], "Default Value", "true", "1", "", "0")', {"statusFlag": "x"}, "Default Value"),
    ('Switch([statusFlag], "Default Value", "true", "1", "", "0")', {"statusFlag": "TRUE"}, "Default Value"),
    (
        'IIF([companyName] = "Company A", "A", IIF([companyName] = "Company B", "B", "External"))',
        {"companyName": "Company B"},
        "B",
    ),
    # The Webex template's `active` mapping (components/webex_catalog.json)
    ('Switch([IsSoftDeleted], , "False", "True", "True", "False")', {"IsSoftDeleted": False}, "True"),
    ('Switch([IsSoftDeleted], , "False", "True", "True", "False")', {"IsSoftDeleted": True}, "False"),
    # ToLower (SelectUniqueValue's rule, without it) / ToUpper
    (
        'ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), '
        '"contoso.com"))',
        {"PreferredFirstName": "John", "PreferredLastName": "Smith"},
        "john.smith@contoso.com",
    ),
    ('ToUpper("straße", "de-DE")', {}, "STRAßE"),  # .NET maps case one character to one
    ('ToUpper("istanbul", "tr-TR")', {}, "İSTANBUL"),
    # Word
    ('Word("The quick brown fox",3," ")', {}, "brown"),
    ('Word("This,string!has&many separators",3,",!&#")', {}, "has"),
    # The reference's Examples section
    ('Replace([mail], "@contoso.com", , ,"", ,)', {"mail": "john.doe@contoso.com"}, "john.doe"),
    ('Join(", ", "", [surname], [givenName])', {"givenName": "John", "surname": "Doe"}, "Doe, John"),
    # "Remove any letters from the ID and add 1000": the reference's input GUID is a placeholder; its output is
    # the hex of d05e47b1-3909-445a-ba5e-ca60cbc0e4b4 (read back from that output), which gives exactly it.
    (
        'Join("", 1000, Replace(ConvertToUTF8Hex([objectId]), , "[a-zA-Z_]*", , "", , ))',
        {"objectId": "d05e47b1-3909-445a-ba5e-ca60cbc0e4b4"},
        "100064303565343762312333930392343435612626135652636136306362633065346234",
    ),
]


@pytest.mark.parametrize(("expression", "attrs", "expected"), DOCUMENTED, ids=[case_id(c[0][:60]) for c in DOCUMENTED])
def test_documented_example(expression, attrs, expected):
    assert run(expression, **attrs) == expected


NOT_SIMULATED = [
    # random values
    ("Guid()", {}, "random GUID"),
    ("RandomString(6,3,0,0,3)", {}, "random string"),
    ('RandomString(10,2,2,2,1,"?,")', {}, "random string"),
    ("Redact(RandomString(6,3,0,0,3))", {}, "random string"),
    # data a snapshot does not hold
    ("SingleAppRoleAssignment([appRoleAssignments])", {}, "app role assignments"),
    ("AppRoleAssignmentsComplex([appRoleAssignments])", {}, "app role assignments"),
    (
        'SelectUniqueValue(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], '
        '[PreferredLastName]))), "contoso.com"), Join("@", NormalizeDiacritics(StripSpaces(Join(".",  '
        'Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), "contoso.com"))',
        {"PreferredFirstName": "John", "PreferredLastName": "Smith"},
        "only for provisioning to Active Directory",
    ),
    # the reference's IIF limitation: "If the source attribute used within the IIF function is empty or null, the
    # condition check fails" (its three unsupported examples)
    ('IIF([country]="","Other",[country])', {"country": ""}, "condition check fails"),
    ('IIF(IsNullOrEmpty([country]),"Other",[country])', {}, "condition check fails"),
    ('IIF(IsPresent([country]),[country],"Other")', {}, "condition check fails"),
    # the reference's caution: no IsPresent / IsNull / IsNullOrEmpty as Switch's source (so its IsPresent example)
    (
        "Switch(IsPresent([directManager]),[directManager], IsPresent([skiplevelManager]),[skiplevelManager], "
        "IsPresent([director]),[director])",
        {"directManager": "m1"},
        "caution",
    ),
    # the reference's Split example keeps or drops the space after the comma: its output and its description differ
    ('Split([extensionAttribute5], ",")', {"extensionAttribute5": "PermissionSetOne, PermissionSetTwo"}, "spaces"),
    # the caution's own `switch(...)`: the syntax is case-sensitive
    (
        'switch([companyName], "External", "Company A", "A", "Company B", "B")',
        {"companyName": "Company A"},
        "spelled Switch()",
    ),
    # what the reference does not say
    ('Append([mail], ".test")', {}, "null"),
    ('IIF([country]="usa","a","b")', {"country": "USA"}, "differ only in case"),
    ('Word("Single",1," ")', {}, "none of the delimiters"),
    ('NormalizeDiacritics("ǹ")', {}, "not in the table"),
    ('FormatDateTime("20150123", , "d", "yyyy")', {}, "standard .NET format"),
    ('Mid("abc", 0, 1)', {}, "start counts from 1"),
    ("Item([proxyAddresses], 0)", {"proxyAddresses": ["a"]}, "0 shouldn't be used"),
    # not the language
    ("Append([mail]", {}, "cannot read the expression"),
    ('Append("a\\d", "b")', {}, 'only \\\\ and \\" are escapes'),
    ('NoSuchFunction("a")', {}, "not a function"),
    ('Append("a")', {}, "takes 2 arguments, not 1"),
    # attributes a snapshot does not hold, or that the engine spells otherwise
    ('Append([manager], "x")', {}, "reference to another user"),
    ('Append([JobTitle], "x")', {}, "spelled jobTitle"),
]


@pytest.mark.parametrize(("expression", "attrs", "why"), NOT_SIMULATED, ids=[case_id(c[0][:60]) for c in NOT_SIMULATED])
def test_not_simulated_is_said_never_guessed(expression, attrs, why):
    assert why in not_simulated(expression, **attrs)


@pytest.mark.parametrize(
    ("plain", "written"),
    [("a", "ä à â ã å á ą ă ā ā́ ā̀ ā̂ ā̃ ǟ ā̈ ǡ a̱ å̄"), ("OE", "Ø Ø̄ Œ̄"), ("ss", "ß"), ("Z", "Ź Ž Ż Z̄ Ẕ"), ("ae", "æ ǣ")],
    ids=case_id,
)
def test_normalize_diacritics_follows_the_table_row_by_row(plain, written):
    for char in written.split():
        assert run(f'NormalizeDiacritics("{char}")') == plain, char


def test_an_expression_reads_attributes_by_their_engine_names():
    # A mapping's attributes are the engine's (objectId, telephoneNumber), checked once when compiled.
    evaluator = Evaluator(attribute_problem)
    assert evaluator.compile('Join(" ", [givenName], [surname])')({"givenName": "Ada", "surname": "Lovelace"}) == (
        "Ada Lovelace"
    )
    with pytest.raises(NotSimulated, match=r"\[businessPhones\]: not an attribute"):
        evaluator.compile("[businessPhones]")({})


# The comparison operators the reference's IIF examples use, at their boundaries: <> is the negation of =, and the
# ordering operators compare whole numbers (text of digits included), never text.
COMPARISONS = [
    ('CBool([a] <> "x")', {"a": "x"}, "False"),
    ('CBool([a] <> "x")', {"a": "y"}, "True"),
    ("CBool([n] > 5)", {"n": "5"}, "False"),
    ("CBool([n] > 5)", {"n": "6"}, "True"),
    ("CBool([n] >= 5)", {"n": "5"}, "True"),
    ("CBool([n] >= 5)", {"n": "4"}, "False"),
    ("CBool([n] < 5)", {"n": "5"}, "False"),
    ("CBool([n] < 5)", {"n": "4"}, "True"),
    ("CBool([n] <= 5)", {"n": " 5 "}, "True"),
    ("CBool([n] <= 5)", {"n": "6"}, "False"),
    ('CBool("10" > [n])', {"n": "9"}, "True"),  # numbers, not text: "10" < "9" as text
]


@pytest.mark.parametrize(
    ("expression", "attrs", "expected"), COMPARISONS, ids=[case_id(f"{c[0]} {c[1]}") for c in COMPARISONS]
)
def test_comparisons_at_their_boundaries(expression, attrs, expected):
    assert run(expression, **attrs) == expected


def test_switch_compares_keys_that_are_attributes_and_an_empty_default_is_null():
    assert run('Switch([a], "none", [b], "same")', a="k", b="k") == "same"
    assert run('Switch([a], "none", [b], "same")', a="k", b="j") == "none"
    # An empty default gives null (the attribute is not set), not an empty argument: IsNull says so.
    assert run('IsNull(Switch([a], , "x", "y"))', a="z") == "True"
    assert run('Coalesce(Switch([a], , "x", "y"), "fallback")', a="z") == "fallback"


def test_the_convenience_evaluate_reads_the_attributes_it_is_given():
    assert evaluate('Append([a], "-x")', {"a": "b"}) == "b-x"
    assert evaluate("Now()", {}, clock=lambda: CLOCK) == CLOCK


# What a user reads in the simulation's report ("not simulated: <reason>") when the evaluator cannot say, word for
# word: each names the function or operator, what it received, and why the reference leaves the case open.
NULL = "received a null value; Microsoft's expression reference does not say what it does then"
REASONS = [
    ('CBool([a] = "x")', {}, f"the comparison = {NULL}"),
    ('CBool("x" = [a])', {}, f"the comparison = {NULL}"),
    (
        'CBool([a] <> "x")',
        {"a": ["x", "y"]},
        "the comparison <> received several values (a multi-valued attribute) where it takes one",
    ),
    (
        'CBool("x" <> [a])',
        {"a": ["x"]},
        "the comparison <> received several values (a multi-valued attribute) where it takes one",
    ),
    (
        'CBool([a] <> "usa")',
        {"a": "USA"},
        "'USA' <> 'usa' differ only in case, and Microsoft's expression reference does not say whether = ignores case",
    ),
    ("CBool([n] > 5)", {}, f"the comparison > {NULL}"),
    ("CBool(5 <= [n])", {}, f"the comparison <= {NULL}"),
    ("CBool([n] > 5)", {"n": "abc"}, "> compares numbers; 'abc' and 5 are not both numbers"),
    ("CBool(5 < [n])", {"n": "1.5"}, "< compares numbers; 5 and '1.5' are not both numbers"),
    ('IIF("maybe", "a", "b")', {}, "IIF needs a condition that is true or false, not 'maybe'"),
    (
        'IIF([a] = "x", "a", "b")',
        {"a": ""},
        "IIF's condition reads [a], which is null or empty: the reference says the condition check fails then (IIF, "
        "known limitations)",
    ),
    (
        'Switch([a], "d", "k")',
        {"a": "k"},
        "Switch() takes a source, a default and key/value pairs: an even count of arguments",
    ),
    (
        'Switch(IsNull([a]), "d", "True", "x")',
        {},
        "Switch() with IsNull() as its source, which the reference's caution says not to use (use a literal empty "
        "string as a key instead)",
    ),
    (
        'Switch(IsNullOrEmpty([a]), "d", "True", "x")',
        {},
        "Switch() with IsNullOrEmpty() as its source, which the reference's caution says not to use (use a literal "
        "empty string as a key instead)",
    ),
    (
        'Switch([a], "d", "k", "v")',
        {"a": ["k"]},
        "Switch's source received several values (a multi-valued attribute) where it takes one",
    ),
    ('Switch([a], "d", [b], "v")', {"a": "k"}, f"Switch's key {NULL}"),
    (
        'Append(IgnoreFlowIfNullOrEmpty([a]), "x")',
        {"a": "k"},
        "IgnoreFlowIfNullOrEmpty() inside another function: the reference uses it outermost",
    ),
    (
        'Replace([a], "x", , , "y", , )',
        {},
        "Replace: the source is null (the attribute is not set); Microsoft's "
        "expression reference does not say what Replace returns then",
    ),
    ("Guid()", {}, "Guid(): Guid() makes a new random GUID each time: its value cannot be predicted"),
    ('toLower("A")', {}, "toLower() is spelled ToLower() in the reference, whose syntax is case-sensitive"),
    ('Frobnicate("A")', {}, "Frobnicate() is not a function of Microsoft's expression reference"),
    ('Append("a", "b", "c")', {}, "Append() takes 2 arguments, not 3; Graph would refuse the expression"),
    ('Join("a")', {}, "Join() takes 2 or more arguments, not 1; Graph would refuse the expression"),
    ('InStr("a")', {}, "InStr() takes 2 to 4 arguments, not 1; Graph would refuse the expression"),
    ("Now(1)", {}, "Now() takes 0 arguments, not 1; Graph would refuse the expression"),
]


@pytest.mark.parametrize(("expression", "attrs", "reason"), REASONS, ids=[case_id(f"{c[0]} {c[1]}") for c in REASONS])
def test_the_reason_a_user_reads_when_the_evaluator_cannot_say(expression, attrs, reason):
    with pytest.raises(NotSimulated) as caught:
        Evaluator(clock=lambda: CLOCK).compile(expression)(attrs)
    assert str(caught.value) == reason


def test_now_without_a_clock_is_the_moment_the_evaluator_was_made_in_utc():
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    evaluator = Evaluator()
    after = dt.datetime.now(dt.UTC)
    first, second = evaluator.compile("Now()")({}), evaluator.compile("Now()")({})
    assert before <= first <= after and first.tzinfo is not None
    assert second == first  # one simulation, one Now(): every user sees the same value
