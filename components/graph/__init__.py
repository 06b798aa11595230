"""Microsoft Graph synchronization calls the azuread provider lacks: a retrying client and Pulumi dynamic resources.

* `client`: `GraphClient` (throttling, replication delays, redacted errors, call counts);
* `auth`: credentials from the azuread provider's environment (`ARM_*`), or a fixed token for tests;
* `schema`: the pure read-modify-write of a synchronization schema;
* `resources`: `ServicePrincipalReady`, `SynchronizationTemplate`, `AttributeMappings`, `CredentialCheck`,
  `JobRestart`, `JobState`, `ProvisionOnDemand`.
"""
