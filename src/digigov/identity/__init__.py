"""Regions, departments, users, roles, tokens, and the one permission module."""
