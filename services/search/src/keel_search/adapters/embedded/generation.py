"""One tantivy index directory (a generation): schema, documents, version-checked writes."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, SafeUUID

import tantivy

from keel_search.adapters.embedded.store import read_file
from keel_search.domain.products import (
    ApplyOutcome,
    ProductChange,
    ProductDocument,
    ProductTombstone,
    supersedes,
)

log = logging.getLogger(__name__)

ANALYZER = "keel_words"
MAX_TOKEN = 40
# Every searcher a process loads takes the next number: its ``Generation.snapshot``, under
# which answers made from it may be cached (``SearchIndex.state_version``).
_SNAPSHOTS = itertools.count(1)


def text_analyzer() -> tantivy.TextAnalyzer:
    """Words split on anything but letters and digits, lowercased, accents folded
    ("Crème" matches "creme"); the query side uses the same analyzer."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_boolean_field("live", indexed=True)
    builder.add_integer_field("version", stored=True, indexed=True, fast=True)
    for name in ("title", "description"):
        builder.add_text_field(name, stored=True, tokenizer_name=ANALYZER)
    builder.add_text_field("category_text", tokenizer_name=ANALYZER)
    builder.add_text_field("category", stored=True, tokenizer_name="raw", fast=True)
    builder.add_integer_field("price_cents", stored=True, indexed=True, fast=True)
    builder.add_text_field("currency", stored=True, tokenizer_name="raw")
    builder.add_text_field("owner_id", stored=True, tokenizer_name="raw")
    builder.add_date_field("created_at", stored=True, indexed=True, fast=True)
    builder.add_date_field("updated_at", stored=True)
    # Displayed, never searched.
    builder.add_text_field("thumbnail_url", stored=True, tokenizer_name="raw")
    return builder.build()


SCHEMA = _schema()


def to_tantivy(change: ProductChange) -> tantivy.Document:
    if isinstance(change, ProductTombstone):
        return tantivy.Document(id=str(change.id), version=change.version, live=False)
    return tantivy.Document(
        id=str(change.id),
        live=True,
        version=change.version,
        title=change.title,
        description=change.description,
        category=change.category,
        category_text=change.category,
        price_cents=change.price_cents,
        currency=change.currency,
        owner_id=str(change.owner_id),
        created_at=change.created_at,
        updated_at=change.updated_at,
        **({"thumbnail_url": change.thumbnail_url} if change.thumbnail_url else {}),
    )


def from_tantivy(doc: tantivy.Document) -> ProductDocument:
    """The stored document as a ``ProductDocument``, equal to what its ``__init__`` makes.
    Each field is read alone (``get_first``: None when absent), which costs less than
    ``to_dict``; and a frozen dataclass's ``__init__`` sets its eleven fields one by one
    through ``object.__setattr__``, so its ``__dict__`` is filled at once instead, in the
    fields' order."""
    first: Callable[[str], Any] = doc.get_first  # a value of the type its field has
    product = _new_object(ProductDocument)
    product.__dict__.update(
        id=stored_uuid(first("id")),
        title=first("title"),
        description=first("description") or "",
        category=first("category"),
        price_cents=first("price_cents"),
        currency=first("currency"),
        owner_id=stored_uuid(first("owner_id")),
        created_at=first("created_at"),
        updated_at=first("updated_at"),
        version=first("version"),
        thumbnail_url=first("thumbnail_url"),
    )
    return product


def stored_uuid(text: str) -> UUID:
    """``UUID(text)`` (the same value, or a ValueError for the same inputs) at half its
    cost, for the ``str(UUID)`` that ``to_tantivy`` stored (a page of hits makes two per
    hit): the 32 hex digits are the 128-bit number, set in ``UUID``'s slots as
    ``UUID.__init__`` sets them. Other forms (braces, "urn:uuid:") are left to ``UUID``."""
    digits = text.replace("-", "")
    if len(text) != _CANONICAL or len(digits) != _HEX_DIGITS:
        return UUID(text)
    uuid = _new_object(UUID)
    _set_uuid_int(uuid, int(digits, 16))
    _set_uuid_safety(uuid, _UNKNOWN_SAFETY)
    return uuid


_CANONICAL, _HEX_DIGITS = len(str(UUID(int=0))), 32
_new_object = object.__new__
# UUID's slot descriptors, and the enum member read once (reading it off the enum class
# runs a Python-level descriptor).
_set_uuid_int, _set_uuid_safety = UUID.__dict__["int"].__set__, UUID.__dict__["is_safe"].__set__
_UNKNOWN_SAFETY = SafeUUID.unknown


class Generation:
    """Opens an index directory and brings its searcher up to date with every process's
    commits when asked (``follow``). The reader only moves when told to (tantivy's "manual"
    policy), and it is told whenever ``meta.json``, rewritten by every commit and merge, has
    changed: its content is compared (one small read), since an inode and a timestamp may
    repeat."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self._meta_path = str(path / "meta.json")
        try:
            self.index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
        except ValueError as exc:
            if "schema does not match" not in str(exc):
                raise
            # A generation written by an older release (fields were added since): a rebuild
            # writes a new generation with this schema and swaps it in.
            raise RuntimeError(
                f"the search index generation {name} has an older schema; "
                "run `keel-search job reindex` to rebuild it"
            ) from exc
        self.index.register_tokenizer(ANALYZER, text_analyzer())
        self._reload_lock = threading.Lock()
        # Read before the reader loads, so the reader holds this commit or a newer one.
        self._meta_seen = read_file(self._meta_path)
        self.index.config_reader("manual")
        self.snapshot = next(_SNAPSHOTS)

    def searcher(self) -> tantivy.Searcher:
        """The searcher of the commit loaded last (``follow`` loads a newer one)."""
        return self.index.searcher()

    def follow(self) -> None:
        """Load the latest commit if there is a newer one (``snapshot`` then names it)."""
        meta = read_file(self._meta_path)
        if meta != self._meta_seen:
            self._reload(meta)

    def reload(self) -> None:
        self._reload(read_file(self._meta_path), force=True)

    def _reload(self, meta: bytes | None, *, force: bool = False) -> None:
        with self._reload_lock:
            if meta == self._meta_seen and not force:
                return  # another thread loaded it meanwhile
            self.index.reload()
            self._meta_seen = meta
            # Numbered after the reload: whoever reads this number searches this commit
            # or a newer one.
            self.snapshot = next(_SNAPSHOTS)

    def live_count(self) -> int:
        query = tantivy.Query.term_query(SCHEMA, "live", True)
        result = self.searcher().search(query, 1, count=True)
        return int(result.count or 0)  # type: ignore[attr-defined]  # missing from the stubs

    def owned_by(self, owner_id: UUID, limit: int) -> list[ProductDocument]:
        live = tantivy.Query.term_query(SCHEMA, "live", True)
        mine = tantivy.Query.term_query(SCHEMA, "owner_id", str(owner_id))
        both = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in (live, mine)])
        searcher = self.searcher()
        hits = searcher.search(both, limit).hits
        return [from_tantivy(searcher.doc(address)) for _, address in hits]


class GenerationWriter:
    """The single writer of one generation (tantivy enforces one per directory)."""

    def __init__(self, generation: Generation, heap_bytes: int, threads: int) -> None:
        self.generation = generation
        self._writer: tantivy.IndexWriter | None = generation.index.writer(
            heap_size=heap_bytes, num_threads=threads
        )

    @property
    def writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            raise RuntimeError("this generation's writer is closed")
        return self._writer

    def apply(self, changes: Sequence[ProductChange]) -> list[ApplyOutcome]:
        """Version-checked upserts and tombstones; visible after ``commit``."""
        versions: dict[str, int] = self._indexed_versions({str(c.id) for c in changes})
        outcomes = []
        for change in changes:
            key = str(change.id)
            if not supersedes(change, versions.get(key)):
                outcomes.append(ApplyOutcome.STALE)
                continue
            self.writer.delete_documents_by_term("id", key)
            self.writer.add_document(to_tantivy(change))
            versions[key] = change.version
            outcomes.append(ApplyOutcome.APPLIED)
        return outcomes

    def add_unchecked(self, documents: Sequence[ProductDocument]) -> None:
        """Bulk load of products known to be absent (a rebuild's catalogue stream)."""
        writer = self.writer
        for document in documents:
            writer.add_document(to_tantivy(document))

    def commit(self) -> None:
        self.writer.commit()
        self.generation.reload()

    def close(self) -> None:
        """Drop uncommitted work and release the directory's writer lock; idempotent."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.rollback()
            writer.wait_merging_threads()
        except ValueError:
            # Its directory was deleted by a later rebuild: nothing in it is needed any more.
            log.info(
                "closed the writer of a removed generation",
                extra={"path": str(self.generation.path)},
            )

    def _indexed_versions(self, ids: set[str]) -> dict[str, int]:
        query = tantivy.Query.term_set_query(SCHEMA, "id", sorted(ids))
        searcher = self.generation.searcher()
        hits = searcher.search(query, len(ids), count=False).hits
        found = (searcher.doc(address) for _, address in hits)
        return {doc["id"][0]: doc["version"][0] for doc in found}


def change_to_json(change: ProductChange) -> dict[str, Any]:
    """The journal's line format for a change."""
    if isinstance(change, ProductTombstone):
        return {
            "id": str(change.id),
            "version": change.version,
            "deleted_at": _iso(change.deleted_at),
        }
    return {
        **change.__dict__,
        "id": str(change.id),
        "owner_id": str(change.owner_id),
        "created_at": _iso(change.created_at),
        "updated_at": _iso(change.updated_at),
    }


def change_from_json(data: dict[str, Any]) -> ProductChange:
    if "deleted_at" in data:
        return ProductTombstone(
            UUID(data["id"]), data["version"], datetime.fromisoformat(data["deleted_at"])
        )
    return ProductDocument(
        **{
            **data,
            "id": UUID(data["id"]),
            "owner_id": UUID(data["owner_id"]),
            "created_at": datetime.fromisoformat(data["created_at"]),
            "updated_at": datetime.fromisoformat(data["updated_at"]),
        }
    )


def _iso(value: datetime) -> str:
    return value.isoformat()
