"""Microsoft Graph synchronization calls the azuread provider lacks: a retrying client and Pulumi dynamic resources.

* `client`: `GraphClient` (throttling, replication delays, redacted errors, call counts);
* `auth`: credentials from the azuread provider's environment (`ARM_*`), or a fixed token for tests;
* `schema`: the pure read-modify-write of a synchronization schema;
* `resources`: `SynchronizationTemplate`, `AttributeMappings`, `CredentialCheck`, `JobRestart`.
"""

from components.graph.auth import StaticTokenCredential, credential_from_environment
from components.graph.client import (
    DEFAULT_GRAPH_BASE_URL,
    GraphClient,
    GraphError,
    GraphStats,
    RetryPolicy,
    WaitEvent,
    reset_total_stats,
    total_stats,
)
from components.graph.resources import AttributeMappings, CredentialCheck, JobRestart, SynchronizationTemplate

__all__ = [
    "DEFAULT_GRAPH_BASE_URL",
    "AttributeMappings",
    "CredentialCheck",
    "GraphClient",
    "GraphError",
    "GraphStats",
    "JobRestart",
    "RetryPolicy",
    "StaticTokenCredential",
    "SynchronizationTemplate",
    "WaitEvent",
    "credential_from_environment",
    "reset_total_stats",
    "total_stats",
]
