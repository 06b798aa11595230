"""Microsoft Graph calls the azuread provider lacks: a retrying client, Pulumi dynamic resources, the status reader.

* the call: `transport` (one Graph call with the retries Graph asks for, for the HTTP methods it was built for),
  `retry` (the budget, waits, counts, redaction), `answers` (a 2xx's JSON, or the GraphError a failure is),
  `errors` (GraphError and the clouds' Graph URLs, importable without httpx);
* who calls: `auth` (a credential from the azuread provider's settings, or a fixed token for tests),
  `auth_settings` (those settings and where each came from), `oidc` (the federated token of an OIDC sign-in),
  `cloud_metadata` (the cloud a metadata host describes, as the provider reads `metadataHost`);
* `client`: `GraphClient`, the synchronization API the dynamic resources use (read and write);
* `reader`: `GraphReader`, GET only, what `python -m webex_scim status` reads (a job, the provisioning logs);
* `schema` + `schema_rows`: the pure read-modify-write of a synchronization schema;
* the dynamic resources, one module per family on `provider_base`: `principal_ready` (ServicePrincipalReady),
  `template` (SynchronizationTemplate), `mappings` (AttributeMappings), `credential_check` (CredentialCheck),
  `job_restart` (JobRestart), `job_state` (JobState), `on_demand` (ProvisionOnDemand); `resources` keeps every one
  under the address older stack states hold.
"""
