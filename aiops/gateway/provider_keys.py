"""Provider API keys: a key file (mode 0600 or refused), the OS keyring, environment variables.

The key file is TOML, one table per profile, provider name -> key:

    [default]
    openai = "sk-..."
    anthropic = "sk-ant-..."
    [ci]                     # an internal key with profile = "ci" uses these first
    openai = "sk-..."

Lookup for (provider, profile): key file [profile], then key file [default], then the
keyring (service "aiops", user "<profile>/<provider>" then "default/<provider>"), then the
provider's usual environment variable. Values never appear in repr(), logs or messages.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Mapping

from aiops.gateway.errors import KeyFileError
from aiops.tomlfile import read_toml

ENV_NAMES = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "cohere": "COHERE_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "azure": "AZURE_API_KEY",
    "xai": "XAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
    "huggingface": "HF_TOKEN",
}
KEYLESS = frozenset({"ollama", "ollama_chat", "lm_studio", "hosted_vllm", "llamafile", "fake"})
KEYRING_SERVICE = "aiops"


def default_key_file() -> Path:
    return Path.home() / ".config" / "aiops" / "keys.toml"


def load_key_file(path: Path) -> dict[str, dict[str, str]]:
    """Read and check a key file: owner-only permissions, tables of strings."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"{path}: key file does not exist") from None
    if stat.S_IMODE(mode) & 0o077:
        raise KeyFileError(
            f"{path}: key file has mode {stat.S_IMODE(mode):04o}, readable by others; refusing to use it (chmod 600 {path})"
        )
    data = read_toml(path, KeyFileError)
    profiles: dict[str, dict[str, str]] = {}
    for profile, table in data.items():
        if not isinstance(table, dict):
            raise KeyFileError(f"{path}: {profile} must be a [{profile}] table of provider = \"key\"")
        for provider, value in table.items():
            if not isinstance(value, str) or not value:
                raise KeyFileError(f"{path}: {profile}.{provider} must be a non-empty string")
        profiles[profile] = dict(table)
    return profiles


class ProviderKeys:
    """Finds the API key for a provider; never reveals it except to the backend call."""

    def __init__(
        self,
        key_file: str | os.PathLike[str] | None = None,
        use_keyring: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._env = os.environ if env is None else env
        self._use_keyring = use_keyring
        if key_file:
            self._file = load_key_file(Path(key_file).expanduser())
        elif default_key_file().is_file():
            self._file = load_key_file(default_key_file())
        else:
            self._file = {}

    def __repr__(self) -> str:
        profiles = ", ".join(sorted(self._file)) or "none"
        return f"ProviderKeys(key file profiles: {profiles}, keyring={self._use_keyring})"

    def api_key(self, provider: str, profile: str = "default") -> str | None:
        if provider in KEYLESS:
            return None
        for table in (profile, "default"):
            value = self._file.get(table, {}).get(provider)
            if value:
                return value
        if self._use_keyring:
            for user in (f"{profile}/{provider}", f"default/{provider}"):
                value = _keyring_get(user)
                if value:
                    return value
        env_name = ENV_NAMES.get(provider, f"{provider.upper()}_API_KEY")
        return self._env.get(env_name) or None

    def all_values(self) -> list[str]:
        """Every key this object can hand out, so they can be scrubbed from any text."""
        values = [v for table in self._file.values() for v in table.values()]
        values += [self._env[name] for name in ENV_NAMES.values() if self._env.get(name)]
        return values


def _keyring_get(user: str) -> str | None:
    try:
        import keyring  # optional extra
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, user)
    except Exception:  # noqa: BLE001 - a broken keyring backend means "no key there"
        return None
