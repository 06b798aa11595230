"""The Entra user attributes the provisioning engine reads, and the Microsoft Graph property holding each: the one
table the settings (every attribute a mapping or a scoping filter names is checked against it) and the simulation
(provisioning_cycle/attributes.py reads each from a Graph snapshot) share.

A snapshot comes in Graph's own shape (`id`, `businessPhones`, `onPremisesExtensionAttributes`…), but mappings and
scoping filters name the engine's attributes (`objectId`, `telephoneNumber`, `extensionAttribute1`…), which are
Azure AD Graph's names. Sources for each pairing:

* the engine's names: Graph `synchronizationSchema: parseExpression`, whose v1.0 example `testInputObject` lists
  objectId, IsSoftDeleted, accountEnabled, streetAddress, city, state, postalCode, country, department,
  displayName, extensionAttribute1…15, givenName, jobTitle, mail, mailNickname, manager, mobile,
  onPremisesSecurityIdentifier, physicalDeliveryOfficeName, preferredLanguage, proxyAddresses, surname,
  telephoneNumber, userPrincipalName, appRoleAssignments (microsoft-graph-docs-contrib,
  api-reference/v1.0/api/synchronization-synchronizationschema-parseexpression.md);
* renamed properties: "Property differences between Azure AD Graph and Microsoft Graph" (microsoft-graph-docs-contrib,
  concepts/migrate-azure-ad-graph-property-differences.md): facsimileTelephoneNumber -> faxNumber, mobile ->
  mobilePhone, telephoneNumber -> businessPhones; objectId is Graph's `id` (the Webex default mapping objectId ->
  externalId, Microsoft's Cisco Webex tutorial); physicalDeliveryOfficeName is Graph's officeLocation (the same
  attribute in Microsoft's SCIM tutorial table, use-scim-to-provision-users-and-groups.md, and the Graph user
  resource);
* extensionAttribute1…15: Graph's `onPremisesExtensionAttributes.extensionAttributeN` (Graph user resource: "Contains
  extensionAttributes1-15 for the user");
* businessPhones: "Although it's a string collection, only one number can be set for this property" (Graph user
  resource), so telephoneNumber is its one value;
* a guest's userPrincipalName (`alias_theirdomain#EXT#@yourdomain`) reaches mappings as `alias@theirdomain`, and the
  full value as originalUserPrincipalName ("How Application Provisioning works in Microsoft Entra ID", B2B users);
* IsSoftDeleted is computed, not stored ("isSoftDeleted (computed value not stored on user)", the SCIM tutorial):
  false for every user the engine provisions, since deleted, disabled and out-of-scope users are not provisioned.

Directory extensions (`extension_<appId>_<name>`) have the same name in Graph and in the engine. Everything else
that the engine reads (manager, a reference; appRoleAssignments) a snapshot does not hold: a mapping that reads it
is reported per user as not simulated.
"""

from __future__ import annotations

import difflib
import re

# engine attribute -> Graph user property (a dotted path into onPremisesExtensionAttributes for extensionAttributeN)
RENAMED: dict[str, str] = {
    "objectId": "id",
    "telephoneNumber": "businessPhones",
    "mobile": "mobilePhone",
    "facsimileTelephoneNumber": "faxNumber",
    "physicalDeliveryOfficeName": "officeLocation",
    **{f"extensionAttribute{n}": f"onPremisesExtensionAttributes.extensionAttribute{n}" for n in range(1, 16)},
}
# Same name on both sides (Graph user resource v1.0 properties that the engine lists or maps).
SAME: tuple[str, ...] = (
    "accountEnabled",
    "city",
    "companyName",
    "country",
    "department",
    "displayName",
    "employeeId",
    "employeeType",
    "givenName",
    "jobTitle",
    "mail",
    "mailNickname",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesImmutableId",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesUserPrincipalName",
    "otherMails",
    "postalCode",
    "preferredLanguage",
    "proxyAddresses",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
)
MULTI_VALUED: frozenset[str] = frozenset({"otherMails", "proxyAddresses"})
BOOLEAN: frozenset[str] = frozenset({"accountEnabled"})
COMPUTED: frozenset[str] = frozenset({"IsSoftDeleted", "originalUserPrincipalName"})
NOT_IN_SNAPSHOT: dict[str, str] = {
    "manager": "manager is a reference to another user, resolved to that user's Webex id by the engine",
    "appRoleAssignments": "appRoleAssignments are the user's app role assignments, which a directory snapshot does "
    "not hold",
}
EXTENSION = re.compile(r"^extension_[0-9a-fA-F]{32}_\w+$")

GRAPH_PROPERTY: dict[str, str] = {**{name: name for name in SAME}, **RENAMED}
ENGINE_NAME: dict[str, str] = {graph: engine for engine, graph in GRAPH_PROPERTY.items()}
KNOWN: frozenset[str] = frozenset(GRAPH_PROPERTY) | COMPUTED

# Every name a mapping or a scoping filter may read: what a snapshot holds, what is computed, and the references a
# snapshot cannot hold (still real engine attributes).
READABLE: frozenset[str] = KNOWN | frozenset(NOT_IN_SNAPSHOT)
_BY_LOWER = {name.lower(): name for name in READABLE}
_ATTRIBUTE_REFERENCE = re.compile(r"\[([^\]]*)\]")


def unknown_attribute(name: str) -> str | None:
    """Why `name` is not an Entra user attribute the engine reads (with the one it is a typo of), or None."""
    if name in READABLE or EXTENSION.match(name):
        return None
    near = _BY_LOWER.get(name.lower())
    if near:
        return f"{name!r} is not an Entra user attribute: attribute names are case-sensitive; did you mean {near!r}?"
    close = difflib.get_close_matches(name.lower(), list(_BY_LOWER), n=1, cutoff=0.7)
    if close:
        meant = _BY_LOWER[close[0]]
        return f"{name!r} is not an Entra user attribute the provisioning engine reads; did you mean {meant!r}?"
    return (
        f"{name!r} is not an Entra user attribute the provisioning engine reads (a directory extension is written "
        "extension_<app id without dashes>_<name>; the attributes are listed in docs/mappings.md)"
    )


def attributes_read(expression: str) -> list[str]:
    """The `[attribute]` references of a mapping expression, outside its string literals, in order."""
    found: list[str] = []
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: " " * len(m.group(0)), expression)
    for match in _ATTRIBUTE_REFERENCE.finditer(outside):
        if match.group(1) not in found:
            found.append(match.group(1))
    return found
