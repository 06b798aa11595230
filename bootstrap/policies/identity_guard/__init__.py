"""webex-scim-identity-guard: the policy rules for the pipeline identities of webex-scim (bootstrap/).

Importing this package only defines rules (no server starts), so tests can use the registry; ../__main__.py is the
one place that builds the PolicyPack (which then serves forever).
"""

from __future__ import annotations

from . import grants, roles, trust

PACK_NAME = "webex-scim-identity-guard"
PACK_DESCRIPTION = "Guards the pipeline identities of webex-scim: least privilege, trust in GitHub environments only."

POLICIES = [*grants.RULES, *trust.RULES, *roles.RULES]

__all__ = ["PACK_DESCRIPTION", "PACK_NAME", "POLICIES"]
