"""The embedded demo: 16 playbooks, a HubSpot fixture and an n8n-era backlog with duplicates."""
