"""Choose the model (or the understudy) from settings, and check a key with one tiny call before the scene starts.

SDKs are imported only for the chosen provider: each costs over a second of start-up time,
which a player with no key (the understudy) should never pay. A server imports it before it
serves (``import_provider``), never inside a player's turn: the import blocks the event loop.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from digital_actors.config import Settings
from digital_actors.errors import ModelError
from digital_actors.llm.base import ChatModel, ChatRequest, Message
from digital_actors.llm.errors import OUTAGE_KINDS, ProviderError

UNDERSTUDY = "understudy"
NOTHING_SET = ("no model configured: the understudy performs authored lines (set ANTHROPIC_API_KEY,"
               " OPENAI_API_KEY, GOOGLE_API_KEY or OPENAI_BASE_URL to let a model improvise)")
ADAPTERS = {"anthropic": "digital_actors.llm.anthropic", "openai": "digital_actors.llm.openai_compat",
            "gemini": "digital_actors.llm.openai_compat", "local": "digital_actors.llm.openai_compat"}


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen model (None: the understudy), its provider name, and why, for the player."""

    model: ChatModel | None
    provider: str
    reason: str


def _secret(value: SecretStr | None) -> str | None:
    text = value.get_secret_value().strip() if value is not None else ""
    return text or None


def _choice(settings: Settings) -> tuple[str, str]:
    """The provider LLM_PROVIDER names (or with ``auto`` the first configured), and why."""
    choice: str = settings.llm_provider
    if choice != "auto":
        return choice, f"is set and LLM_PROVIDER={choice}"
    choice = ("anthropic" if _secret(settings.anthropic_api_key)
              else "openai" if _secret(settings.openai_api_key)
              else "gemini" if _secret(settings.google_api_key)
              else "local" if (settings.openai_base_url or "").strip() else UNDERSTUDY)
    return choice, "is set"


def provider_module(settings: Settings) -> str | None:
    """The adapter module ``select_model`` will import for these settings (None: no model)."""
    choice, _ = _choice(settings)
    needed = {"anthropic": settings.anthropic_api_key, "openai": settings.openai_api_key,
              "gemini": settings.google_api_key}
    if choice == "local":
        return ADAPTERS[choice] if (settings.openai_base_url or "").strip() else None
    return ADAPTERS[choice] if choice in needed and _secret(needed[choice]) else None


def import_provider(settings: Settings) -> tuple[str, float] | None:
    """Import the chosen provider's adapter and SDK now; the module name and the seconds it took.

    Call it before serving (outside the event loop): 0.8-1.4 s for ``anthropic`` (docs/MODELS.md),
    a freeze every connected player would otherwise feel on the first model session.
    """
    module = provider_module(settings)
    if module is None:
        return None
    started = time.perf_counter()
    importlib.import_module(module)
    return module, time.perf_counter() - started


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
    if settings.llm_provider == UNDERSTUDY:
        return Selection(None, UNDERSTUDY, "LLM_PROVIDER=understudy: the understudy performs "
                                           "authored lines")
    choice, why = _choice(settings)
    if choice == UNDERSTUDY:
        return Selection(None, UNDERSTUDY, NOTHING_SET)
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


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the start-up call failed. ``transient``: an outage that may heal (connection refused,
    timeout, 5xx, overloaded, rate-limited), so keep the model behind an open circuit breaker;
    otherwise (bad key, unknown model, bad request) the understudy performs for good."""

    message: str
    transient: bool
    kind: str


async def verify(model: ChatModel, *, seconds: float = 10.0) -> Problem | None:
    """One tiny call; None when the model answers, else what went wrong (for the player and log)."""
    request = ChatRequest(system=(), messages=(Message("user", "Reply with the word OK."),),
                          max_tokens=5, temperature=0.0, purpose="verify")
    try:
        async with asyncio.timeout(seconds):
            await model.complete(request)
    except TimeoutError:
        return Problem(f"{model.provider} did not answer within {seconds:g} s", transient=True,
                       kind="timeout")
    except ProviderError as e:
        if e.kind in OUTAGE_KINDS:
            return Problem(e.message, transient=True, kind=e.kind)
        hint = f" ({e.hint})" if e.hint else ""
        return Problem(f"{e.message}. The understudy performs instead.{hint}", transient=False,
                       kind=e.kind)
    except ModelError as e:
        return Problem(f"{e.message}. The understudy performs instead.", transient=False,
                       kind="unexpected")
    return None
