"""How a violation names the fix: the `webex-scim:*` stack config key and the `pulumi config` command that sets it.

Users fix a violation in their stack file, not in the program, so every message ends with the key to change.
The key paths are the program's typed settings (components/settings.py); they live here, in one place, so a
renamed key is one edit.
"""

from __future__ import annotations

from vocabulary import NAMESPACE as PROJECT
from vocabulary import TOKEN_CONFIG_KEY
from vocabulary import config_set_command as set_command

# Stack config key paths (camelCase, as in Pulumi.<stack>.yaml).
HIDE_FROM_USERS = "app.hideFromUsers"
ASSIGNMENT_REQUIRED = "app.assignmentRequired"
SCOPE = "provisioning.scope"
DELETE_THRESHOLD = "provisioning.deleteThreshold"
FORCE_DELETES_REQUEST = "provisioning.forceDeletesRequest"
RESTART_REQUEST = "provisioning.restartRequest"
NOTIFICATION_EMAIL = "notificationEmail"
ORG_ID = "orgId"
OFFER = "offer"
TENANT_URL = "tenantUrl"
TOKEN_EXPIRES_ON = "tokenExpiresOn"
SCIM_TOKEN = TOKEN_CONFIG_KEY
ROLLOUT = "rollout"
ASSIGNMENTS = "assignments"
ASSIGNMENT_ROLE = "assignmentRole"
USER_NAME_SOURCE = "mappings.userNameSource"
GROUP_OBJECTS = "mappings.groupObjects"
MAPPING_REMOVE = "mappings.remove"
MAPPING_OVERRIDES = "mappings.overrides"
VERIFIED_DOMAINS = "verifiedDomains"
GRAPH_BASE_URL = "graphBaseUrl"


def key(path: str) -> str:
    """The fully qualified key, as `pulumi config` prints it: `webex-scim:app.hideFromUsers`."""
    return f"{PROJECT}:{path}"


def fix_set(path: str, value: str, *, meaning: str = "") -> str:
    """'Fix: set `webex-scim:<path>` to <value>: `pulumi config set ...`' — the sentence every message ends with.
    `meaning` explains a placeholder value, outside the command (so the command stays one to copy)."""
    explained = f" ({meaning})" if meaning else ""
    return f"Fix: set `{key(path)}` to {value}{explained}: `{set_command(path, value)}`."


def fix_edit(path: str, what: str) -> str:
    """For list-valued keys there is no one command: say which key to edit in Pulumi.<stack>.yaml and how."""
    return f"Fix: in Pulumi.<stack>.yaml, edit `{key(path)}`: {what}."
