"""The embedded index across processes, as deployed: a worker writes, web and gRPC read,
and a rebuild runs in yet another process while events keep arriving."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.domain.products import ProductDocument, ProductTombstone
from keel_search.domain.queries import SearchQuery

MakeProduct = Callable[..., ProductDocument]
DEADLINE = 30.0  # seconds; a liveness limit for a stuck child, not a speed assertion

WRITER = """
import sys, uuid
from datetime import UTC, datetime
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.domain.products import ProductDocument
now = datetime.now(UTC)
index = EmbeddedSearchIndex(sys.argv[1])
index.apply([ProductDocument(uuid.uuid4(), sys.argv[2], "", "misc", 100, "EUR", uuid.uuid4(),
                             now, now, 1)])
"""

REBUILDER = """
import sys, time, uuid
from datetime import UTC, datetime
from keel_search.adapters.embedded.index import EmbeddedSearchIndex
from keel_search.domain.products import ProductDocument
now = datetime.now(UTC)
builder = EmbeddedSearchIndex(sys.argv[1]).start_rebuild()
print("started", flush=True)
for batch in range(20):
    builder.add([ProductDocument(uuid.uuid4(), f"streamed {batch} {n}", "", "misc", 100, "EUR",
                                 uuid.uuid4(), now, now, 1) for n in range(50)])
    time.sleep(0.05)
print(builder.finish(), flush=True)
"""


def run_python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args], stdout=subprocess.PIPE, text=True
    )


def count(index: EmbeddedSearchIndex, text: str) -> int:
    return index.search(SearchQuery.parse(text=text + " ")).total


def test_a_reader_sees_another_process_commit_without_reopening(tmp_path: Path) -> None:
    reader = EmbeddedSearchIndex(tmp_path)
    assert count(reader, "gramophone") == 0
    for expected in (1, 2):
        with run_python(WRITER, str(tmp_path), "Gramophone") as writer:
            assert writer.wait(DEADLINE) == 0
        assert count(reader, "gramophone") == expected


def test_events_applied_during_a_rebuild_in_another_process_are_kept(
    tmp_path: Path, make_product: MakeProduct
) -> None:
    worker = EmbeddedSearchIndex(tmp_path)
    doomed = make_product(title="Doomed lamp")
    worker.apply([doomed])
    applied = 0
    with run_python(REBUILDER, str(tmp_path)) as rebuild:
        assert rebuild.stdout is not None
        assert rebuild.stdout.readline().strip() == "started"
        deadline = time.monotonic() + DEADLINE
        while rebuild.poll() is None and time.monotonic() < deadline:
            product = make_product(title="Live lamp")
            worker.apply([product])
            worker.apply([make_product(id=product.id, title="Live lamp", version=2)])
            applied += 1
        worker.apply([ProductTombstone(doomed.id, 2, doomed.created_at)])
        assert rebuild.wait(DEADLINE) == 0
        assert int(rebuild.stdout.read().strip()) >= 1000
    latest = {
        hit.product.version for hit in worker.search(SearchQuery.parse("live", limit=100)).hits
    }
    assert latest == {2}
    assert count(worker, "live lamp") == applied > 0
    assert count(worker, "streamed") == 1000
    assert count(worker, "doomed") == 0
    reader = EmbeddedSearchIndex(tmp_path)
    assert reader.document_count() == 1000 + applied


def test_the_writer_follows_two_rebuilds_it_slept_through(
    tmp_path: Path, make_product: MakeProduct
) -> None:
    worker = EmbeddedSearchIndex(tmp_path)
    worker.apply([make_product(title="First lamp")])
    rebuilder = EmbeddedSearchIndex(tmp_path)
    for n in range(2):  # the second swap deletes the generation the worker still writes to
        builder = rebuilder.start_rebuild()
        builder.add([make_product(title=f"Streamed lamp {n}")])
        builder.finish()
    worker.apply([make_product(title="Late lamp")])
    assert sorted(h.product.title for h in worker.search(SearchQuery.parse("lamp")).hits) == [
        "Late lamp",
        "Streamed lamp 1",
    ]
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("gen-")]) == 2
