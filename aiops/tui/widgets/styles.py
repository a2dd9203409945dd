"""Rich styles taken from the current textual theme, so text reads on light and dark themes.

Widgets that build rich `Text` (trees, logs, charts) cannot use `$variables` like the
`.tcss` files do; they ask for a `ThemeStyles` instead. The `text-*` variables are the
theme's colours meant for text on its background.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App

from aiops.tui.plot import ChartStyles


@dataclass(frozen=True)
class ThemeStyles:
    ok: str
    error: str
    warn: str
    primary: str
    accent: str
    muted: str = "dim"

    def status(self, state: str) -> str:
        return {"ok": self.ok, "no_data": self.muted, "error": self.error, "denied": self.error,
                "running": self.warn, "planned": self.muted}.get(state, "")

    def chart(self) -> ChartStyles:
        return ChartStyles(line=self.primary, marker=f"bold {self.warn}", axis=self.muted)


_CACHE: dict[str, ThemeStyles] = {}


def theme_styles(app: App) -> ThemeStyles:
    theme = app.theme or ""
    styles = _CACHE.get(theme)
    if styles is None:
        v = app.get_css_variables()
        styles = _CACHE[theme] = ThemeStyles(ok=v.get("text-success", ""), error=v.get("text-error", ""),
                                             warn=v.get("text-warning", ""), primary=v.get("text-primary", ""),
                                             accent=v.get("text-accent", ""))
    return styles
