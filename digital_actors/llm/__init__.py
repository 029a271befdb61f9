"""Language models behind one small port: Anthropic, OpenAI-compatible servers, fakes.

Importing this package stays cheap: the SDK adapters live in ``anthropic``/``openai_compat``
and are loaded by ``select`` (or directly) only when a provider is actually used.
"""

from __future__ import annotations

from digital_actors.llm.base import (
    ChatModel,
    ChatRequest,
    Completion,
    Message,
    StreamEnd,
    StreamItem,
    SystemBlock,
    TextDelta,
    Usage,
)
from digital_actors.llm.errors import ProviderError
from digital_actors.llm.fake import PartialReply, ScriptedChatModel

__all__ = [
    "ChatModel",
    "ChatRequest",
    "Completion",
    "Message",
    "PartialReply",
    "ProviderError",
    "ScriptedChatModel",
    "StreamEnd",
    "StreamItem",
    "SystemBlock",
    "TextDelta",
    "Usage",
]
