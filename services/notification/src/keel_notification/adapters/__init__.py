"""Adapters: the database, the providers, templates and the clients of other services."""
