"""The embedded search engine: tantivy indexes on local disk (see ``index.py``)."""
