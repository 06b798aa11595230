"""Every Pulumi dynamic resource for the Graph synchronization calls the azuread provider lacks, by its old address.

Each family lives in a module of its own: principal_ready.py (`ServicePrincipalReady`), template.py
(`SynchronizationTemplate`), mappings.py (`AttributeMappings`), credential_check.py (`CredentialCheck`),
job_restart.py (`JobRestart`), job_state.py (`JobState`), on_demand.py (`ProvisionOnDemand`); provider_base.py holds
what they share. Type tokens: `pulumi-python:dynamic/webex:<Name>`.

This module stays because stack states point at it. `pulumi refresh` and `pulumi destroy` load each provider from the
dill pickle stored in the state, and every state written before the providers moved names
`components.graph.resources.<Name>Provider` (pinned in tests/test_graph_pickles.py). Those names must keep resolving
here, to the very classes that now live in the family modules; states written since then name the family modules.
Never remove a name from this module.
"""

from __future__ import annotations

from components.graph.credential_check import CredentialCheck, CredentialCheckProvider, token_fingerprint
from components.graph.job_restart import JobRestart, JobRestartProvider
from components.graph.job_state import (
    ACTIVE_SCHEDULE_STATE,
    STOPPED_STATUS_CODES,
    JobQuarantinedError,
    JobState,
    JobStateProvider,
    job_state_action,
    quarantine_message,
)
from components.graph.mappings import AttributeMappings, AttributeMappingsProvider
from components.graph.on_demand import (
    ProvisionOnDemand,
    ProvisionOnDemandError,
    ProvisionOnDemandProvider,
    on_demand_message,
    on_demand_outcome,
    on_demand_succeeded,
)
from components.graph.principal_ready import ServicePrincipalReady, ServicePrincipalReadyProvider
from components.graph.template import SynchronizationTemplate, SynchronizationTemplateProvider, pick_template

__all__ = [
    "ACTIVE_SCHEDULE_STATE",
    "STOPPED_STATUS_CODES",
    "AttributeMappings",
    "AttributeMappingsProvider",
    "CredentialCheck",
    "CredentialCheckProvider",
    "JobQuarantinedError",
    "JobRestart",
    "JobRestartProvider",
    "JobState",
    "JobStateProvider",
    "ProvisionOnDemand",
    "ProvisionOnDemandError",
    "ProvisionOnDemandProvider",
    "ServicePrincipalReady",
    "ServicePrincipalReadyProvider",
    "SynchronizationTemplate",
    "SynchronizationTemplateProvider",
    "job_state_action",
    "on_demand_message",
    "on_demand_outcome",
    "on_demand_succeeded",
    "pick_template",
    "quarantine_message",
    "token_fingerprint",
]
