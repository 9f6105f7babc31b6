"""Use case: keep the index current with core's product events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from keel_search.domain.commands import ApplyProductChange
from keel_search.domain.products import ApplyOutcome
from keel_search.service_layer.ports import SearchIndex


@dataclass(frozen=True)
class ChangeReport:
    """What one change did, and how long after core announced it it became searchable."""

    outcome: ApplyOutcome
    lag_seconds: float


def apply_product_changes(
    commands: Sequence[ApplyProductChange],
    index: SearchIndex,
    now: Callable[[], datetime],
) -> list[ChangeReport]:
    """Apply a batch of changes in one index write; stale and redelivered ones are no-ops.

    Batching matters: the embedded engine pays one commit per call, so a consumer that
    hands over everything it has prefetched keeps up with bursts.
    """
    if not commands:
        return []
    outcomes = index.apply([command.change for command in commands])
    visible_at = now()
    return [
        ChangeReport(outcome, max(0.0, (visible_at - command.occurred_at).total_seconds()))
        for command, outcome in zip(commands, outcomes, strict=True)
    ]
