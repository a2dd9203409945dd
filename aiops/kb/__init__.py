"""Knowledge base: runbooks, post-mortems and SOPs, searchable by keywords and meaning.

    from aiops.kb import open_default_kb
    with open_default_kb(settings) as kb:
        for hit in kb.search("pods restarting with exit code 137", k=5):
            print(hit.score, hit.title, hit.source, hit.section)
"""

from aiops.kb.builtin import BUILTIN_PREFIX, embedder_from_settings, kb_path, open_default_kb, open_knowledge_base
from aiops.kb.embedders import Embedder, EmbedderError, HashingEmbedder, LiteLLMEmbedder, make_embedder, register_embedder
from aiops.kb.knowledge_base import Hit, KnowledgeBase
from aiops.kb.store import KnowledgeBaseBusy
from aiops.kb.sync import SyncReport, watch_directory

__all__ = [
    "BUILTIN_PREFIX", "Embedder", "EmbedderError", "HashingEmbedder", "Hit", "KnowledgeBase", "KnowledgeBaseBusy",
    "LiteLLMEmbedder", "SyncReport", "embedder_from_settings", "kb_path", "make_embedder", "open_default_kb",
    "open_knowledge_base", "register_embedder", "watch_directory",
]
