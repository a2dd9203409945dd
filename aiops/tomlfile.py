"""Reading a TOML file, or failing with one line that names it (every TOML file aiops reads:
the config, incident.toml, truth.toml, the provider key file)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from aiops.errors import AiopsError


def read_toml(path: Path, error: type[AiopsError], where: str | None = None) -> dict[str, Any]:
    """The file's tables; `error` (naming `where`, default the path) when it cannot be read or
    is not valid TOML. A UTF-8 byte-order mark is accepted. The message never quotes the
    file's content (a key file's secrets stay out of it)."""
    where = where or str(path)
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{where}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise error(f"{where}: not valid TOML: not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{where}: cannot read: {exc.strerror or type(exc).__name__}") from None
