"""Handouts: the domain shared by the Slack and LTI adapters."""
