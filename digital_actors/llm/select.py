"""Choose the performer from settings, and check a key with one tiny call before the scene starts.

SDKs are imported only for the chosen provider: each costs seconds of start-up time, which
a player with no key (the understudy) should never pay.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from digital_actors.config import Settings
from digital_actors.errors import ModelError
from digital_actors.llm.base import ChatModel, ChatRequest, Message
from digital_actors.llm.errors import ProviderError

UNDERSTUDY = "understudy"
NOTHING_SET = ("no model configured: the understudy performs authored lines (set ANTHROPIC_API_KEY,"
               " OPENAI_API_KEY, GOOGLE_API_KEY or OPENAI_BASE_URL to let a model improvise)")
# Failures that say nothing about the key: the provider is busy, the key itself worked.
TRANSIENT_KINDS = frozenset({"rate_limit", "overloaded", "server"})


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen model (None: the understudy), its provider name, and why, for the player."""

    model: ChatModel | None
    provider: str
    reason: str


def _secret(value: SecretStr | None) -> str | None:
    text = value.get_secret_value().strip() if value is not None else ""
    return text or None


def select_model(settings: Settings) -> Selection:
    """Pick the provider named by LLM_PROVIDER, or with ``auto`` the first one configured."""
    options: dict[str, Any] = {
        "timeout": settings.llm_timeout_seconds,
        "first_token_timeout": settings.llm_first_token_timeout_seconds,
        "max_retries": settings.llm_max_retries,
    }
    anthropic_key = _secret(settings.anthropic_api_key)
    openai_key = _secret(settings.openai_api_key)
    google_key = _secret(settings.google_api_key)
    base_url = (settings.openai_base_url or "").strip() or None
    choice: str = settings.llm_provider
    if choice == UNDERSTUDY:
        return Selection(None, UNDERSTUDY, "LLM_PROVIDER=understudy: the understudy performs "
                                           "authored lines")
    if choice == "auto":
        choice = ("anthropic" if anthropic_key else "openai" if openai_key
                  else "gemini" if google_key else "local" if base_url else UNDERSTUDY)
        if choice == UNDERSTUDY:
            return Selection(None, UNDERSTUDY, NOTHING_SET)
        why = "is set"
    else:
        why = f"is set and LLM_PROVIDER={choice}"
    if choice == "anthropic":
        if not anthropic_key:
            return _missing(choice, "ANTHROPIC_API_KEY")
        from digital_actors.llm.anthropic import AnthropicChatModel

        model = AnthropicChatModel(api_key=anthropic_key, model=settings.anthropic_model,
                                   base_url=settings.anthropic_base_url, **options)
        return Selection(model, choice, f"Claude ({model.model}) performs: ANTHROPIC_API_KEY {why}")
    if choice == "openai":
        if not openai_key:
            return _missing(choice, "OPENAI_API_KEY")
        from digital_actors.llm.openai_compat import openai_chat

        oa = openai_chat(api_key=openai_key, model=settings.openai_model, base_url=base_url,
                         **options)
        where = f" at {base_url}" if base_url else ""
        return Selection(oa, choice, f"OpenAI ({oa.model}){where} performs: OPENAI_API_KEY {why}")
    if choice == "gemini":
        if not google_key:
            return _missing(choice, "GOOGLE_API_KEY")
        from digital_actors.llm.openai_compat import gemini_chat

        gm = gemini_chat(api_key=google_key, model=settings.gemini_model, **options)
        return Selection(gm, choice, f"Gemini ({gm.model}) performs: GOOGLE_API_KEY {why}")
    if not base_url:
        return _missing(choice, "OPENAI_BASE_URL")
    from digital_actors.llm.openai_compat import local_chat

    local = local_chat(base_url=base_url, model=settings.openai_model, api_key=openai_key,
                       **options)
    return Selection(local, "local", f"a local model ({local.model}) at {base_url} performs: "
                                     f"OPENAI_BASE_URL {why}")


def _missing(choice: str, variable: str) -> Selection:
    return Selection(None, UNDERSTUDY, f"LLM_PROVIDER={choice} but {variable} is not set: "
                                       "the understudy performs authored lines")


async def verify(model: ChatModel, *, seconds: float = 10.0) -> str | None:
    """One tiny call; a human message if the model is unusable (bad key, unknown model, no server).

    A busy provider (429, 529, 5xx) is not a reason to give up on it: that returns None.
    """
    request = ChatRequest(system=(), messages=(Message("user", "Reply with the word OK."),),
                          max_tokens=5, temperature=0.0, purpose="verify")
    try:
        async with asyncio.timeout(seconds):
            await model.complete(request)
    except TimeoutError:
        return (f"{model.provider} did not answer within {seconds:g} s; the understudy performs "
                "instead (check the network or the server)")
    except ProviderError as e:
        if e.kind in TRANSIENT_KINDS:
            return None
        return f"{e.message}. The understudy performs instead." + (f" ({e.hint})" if e.hint else "")
    except ModelError as e:
        return f"{e.message}. The understudy performs instead."
    return None
