"""The command line of webex-scim: one entry, `python -m webex_scim <command>` (what `make preview|diff|simulate`
runs), for the offline engine's commands (offline/) and the provisioning cycle's (provisioning_cycle/)."""
