"""Errors the search domain raises; entrypoints map them to HTTP and gRPC statuses."""

from __future__ import annotations

from dataclasses import dataclass


class SearchError(Exception):
    """Base of every search domain error."""


@dataclass(frozen=True)
class FieldError:
    """One invalid request parameter and what is wrong with it."""

    field: str
    message: str


class InvalidQuery(SearchError):
    """The search parameters break a rule; ``errors`` names every offending parameter."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field} {e.message}" for e in errors))
        self.errors = errors


class RebuildInProgress(SearchError):
    """Another rebuild of the same index is running; only one may run at a time."""

    def __init__(self) -> None:
        super().__init__("an index rebuild is already running")


class RebuildNotFound(SearchError):
    """No rebuild job has this id."""

    def __init__(self) -> None:
        super().__init__("no such rebuild job")


class CatalogueUnavailable(SearchError):
    """Core's catalogue could not be read to the end; a rebuild is tried again later."""


class Forbidden(SearchError):
    """The caller is signed in but may not do this (the admin API without the admin role)."""
