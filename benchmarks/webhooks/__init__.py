"""Inbound webhook acknowledgement benchmark (issue #4)."""
