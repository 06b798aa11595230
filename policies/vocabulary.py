"""The words the program (components/), the policy pack (policies/) and the offline engine (offline/) share.

Defined here, inside the pack's folder, because the pack must run from its own folder alone (`pulumi preview
--policy-pack policies`): the pack imports it as `vocabulary` (its folder is first on sys.path), the program and the
engine as `policies.vocabulary`. Plain constants and one function, no imports: any of the three may read it.
"""

NAMESPACE = "webex-scim"  # the project, its stack config namespace and its components' package

# Resource type tokens, as the engine (and so the pack, and the JSON documents) name them.
WEBEX_PROVISIONING = f"{NAMESPACE}:index:WebexProvisioning"
ENTERPRISE_APP = f"{NAMESPACE}:index:WebexEnterpriseApp"
ASSIGNMENTS = f"{NAMESPACE}:index:Assignments"
PROVISIONING_JOB = f"{NAMESPACE}:index:ProvisioningJob"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SYNCHRONIZATION_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
ATTRIBUTE_MAPPINGS = "pulumi-python:dynamic/webex:AttributeMappings"
JOB_RESTART = "pulumi-python:dynamic/webex:JobRestart"

HIDE_APP_TAG = "HideApp"  # the portal's "Visible to users? = No"

# The stack config key of the Webex bearer token (`pulumi config set --secret scimToken ...`).
TOKEN_CONFIG_KEY = "scimToken"
# The synchronization secret's keys (Graph's synchronizationSecret names): the program writes them, the pack and the
# engine read them.
BASE_ADDRESS = "BaseAddress"
SECRET_TOKEN = "SecretToken"
SYNC_NOTIFICATION_SETTINGS = "SyncNotificationSettings"
SYNC_ALL = "SyncAll"

# How a value that must not, or cannot, be shown is written in every report (JSON, Markdown, terminal).
SECRET_MARKER = "[secret]"
UNKNOWN_MARKER = "[unknown]"


def config_set_command(path: str, value: str, *, secret: bool = False) -> str:
    """The `pulumi config set` command for a key path; nested paths need --path so Pulumi writes an object, not a
    dotted name (quoted: brackets are shell globs)."""
    flags = "--secret " if secret else ""
    if "." in path or "[" in path:
        return f"pulumi config set {flags}--path '{path}' {value}"
    return f"pulumi config set {flags}{path} {value}"
