"""Model aliases from [models]: each alias resolves to a fallback chain of model targets."""

from __future__ import annotations

from dataclasses import dataclass

from aiops.config import Settings
from aiops.gateway.errors import UnknownAlias

BUILTIN_ALIASES = ("planner", "fast", "local", "embedding")


@dataclass(frozen=True)
class ModelTarget:
    """One model to try: a litellm model string, where to reach it, how much it can read."""

    model: str
    api_base: str = ""
    context_window: int | None = None   # None: ask the backend (litellm's model map)

    @property
    def provider(self) -> str:
        """The provider prefix of a litellm model string ("openai/gpt-4o" -> "openai")."""
        head, sep, _ = self.model.partition("/")
        return head if sep else "openai"


@dataclass(frozen=True)
class ModelRoute:
    alias: str
    targets: tuple[ModelTarget, ...]

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(t.model for t in self.targets)


class ModelCatalog:
    """Alias -> route. Fallback entries may name another alias or a plain model string."""

    def __init__(
        self,
        aliases: dict[str, str],
        fallbacks: dict[str, list[str]] | None = None,
        api_bases: dict[str, str] | None = None,
        context_windows: dict[str, int] | None = None,
        default_api_base: str = "",
    ) -> None:
        self._aliases = {k: v for k, v in aliases.items() if v}
        self._fallbacks = dict(fallbacks or {})
        self._api_bases = dict(api_bases or {})
        self._windows = dict(context_windows or {})
        self._default_api_base = default_api_base

    @classmethod
    def from_settings(cls, settings: Settings) -> "ModelCatalog":
        m = settings.models
        aliases = {name: getattr(m, name) for name in BUILTIN_ALIASES}
        aliases.update(m.aliases)
        return cls(aliases, m.fallbacks, m.api_bases, m.context_windows, settings.gateway.api_base)

    def aliases(self) -> dict[str, str]:
        return dict(self._aliases)

    def has(self, alias: str) -> bool:
        return alias in self._aliases

    def resolve(self, alias: str) -> ModelRoute:
        if alias not in self._aliases:
            known = ", ".join(sorted(self._aliases)) or "none configured"
            raise UnknownAlias(f"model alias {alias!r} is not set in [models] (known: {known})")
        names = [alias, *self._fallbacks.get(alias, [])]
        targets: list[ModelTarget] = []
        for name in names:
            target = self._target(name)
            if target.model not in {t.model for t in targets}:
                targets.append(target)
        return ModelRoute(alias, tuple(targets))

    def _target(self, name: str) -> ModelTarget:
        model = self._aliases.get(name, name)
        window = self._windows.get(name) or self._windows.get(model)
        target = ModelTarget(model=model, context_window=window)
        api_base = self._api_bases.get(name) or self._api_bases.get(model)
        if not api_base and target.provider == "openai":
            api_base = self._default_api_base   # [gateway] api_base: an OpenAI-compatible server
        return ModelTarget(model=model, api_base=api_base, context_window=window)
