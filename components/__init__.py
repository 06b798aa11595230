"""Pulumi components for Entra ID → Cisco Webex provisioning, their typed settings and data tables."""
