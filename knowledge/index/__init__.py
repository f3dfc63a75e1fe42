"""The vector index of guides and the municipalities' websites, and hybrid retrieval over it.

Light on purpose: qdrant-client takes over a second to import, so import the modules you need
(`knowledge.index.retriever`, `knowledge.index.indexer`) where you build them. See README.md.
"""

from knowledge.index.errors import IndexSettingsError, IndexUnavailable
from knowledge.index.settings import IndexSettings

__all__ = ["IndexSettings", "IndexSettingsError", "IndexUnavailable"]
