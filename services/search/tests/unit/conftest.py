from __future__ import annotations

import pytest

from keel_search.adapters.fakes import FakeProductSource, FakeSearchIndex, FakeUnitOfWork


@pytest.fixture
def index() -> FakeSearchIndex:
    return FakeSearchIndex()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def source() -> FakeProductSource:
    return FakeProductSource()
