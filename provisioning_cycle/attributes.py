"""Microsoft Graph user properties, as the Entra synchronization engine names them in mappings and scoping filters.

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
_EXTENSION = re.compile(r"^extension_[0-9a-fA-F]{32}_\w+$")

GRAPH_PROPERTY: dict[str, str] = {**{name: name for name in SAME}, **RENAMED}
ENGINE_NAME: dict[str, str] = {graph: engine for engine, graph in GRAPH_PROPERTY.items()}
KNOWN: frozenset[str] = frozenset(GRAPH_PROPERTY) | COMPUTED
_BY_LOWER = {name.lower(): name for name in KNOWN | set(NOT_IN_SNAPSHOT)}


def graph_property(engine_name: str) -> str | None:
    """The Graph user property holding an engine attribute (`telephoneNumber` -> `businessPhones`), if any."""
    if _EXTENSION.match(engine_name):
        return engine_name
    return GRAPH_PROPERTY.get(engine_name)


def attribute_problem(name: str) -> str | None:
    """Why an engine attribute cannot be read from a Graph snapshot, or None when it can."""
    if name in KNOWN or _EXTENSION.match(name):
        return None
    if name in NOT_IN_SNAPSHOT:
        return f"[{name}]: {NOT_IN_SNAPSHOT[name]}"
    near = _BY_LOWER.get(name.lower())
    if near:
        return f"[{name}]: the engine's attribute is spelled {near} (attribute names are case-sensitive)"
    return f"[{name}]: not an attribute the simulator can read from Microsoft Graph user properties"


def b2b_user_principal_name(upn: str) -> str:
    """`alias_theirdomain#EXT#@yourdomain` -> `alias@theirdomain`, as the engine hands a guest's UPN to mappings."""
    head, marker, _ = upn.partition("#EXT#")
    if not marker or "_" not in head:
        return upn
    alias, _, domain = head.rpartition("_")
    return f"{alias}@{domain}"


def select_for(engine_names: set[str]) -> list[str]:
    """The Graph `$select` list that reads the given engine attributes (plus what scope always needs)."""
    wanted = {"id", "userPrincipalName", "accountEnabled"}
    for name in engine_names:
        prop = graph_property(name)
        if prop:
            wanted.add(prop.split(".", 1)[0])
    return sorted(wanted)
