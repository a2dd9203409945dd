"""Refresh the README screenshots of `aiops tui` (SVG, made by textual itself).

    python docs/make_screenshot.py            # writes docs/tui.svg, docs/tui-evidence.svg, docs/tui-light.svg

Runs the demo investigation headless, waits for the answer, and saves the main screen
(dark theme), the metrics tab of the top hypothesis, and the main screen in a light theme.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiops.config import load_settings
from aiops.resources import demo_bundle
from aiops.tui.app import AiopsApp
from aiops.tui.source import bundle_source

DOCS = Path(__file__).resolve().parent
SIZE = (110, 32)


async def shoot(theme: str, shots: dict[str, str | None]) -> None:
    settings = load_settings(None)
    source = bundle_source(demo_bundle(), settings, label="demo")
    app = AiopsApp(source, settings, theme=theme)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await asyncio.wait_for(app.run_finished.wait(), 120)
            await pilot.pause()
            for name, keys in shots.items():
                if keys:
                    for key in keys.split():
                        await pilot.press(key)
                        await pilot.pause()
                    ready = getattr(app.screen, "ready", None)
                    if ready is not None:
                        await asyncio.wait_for(ready.wait(), 120)
                    await pilot.pause()
                app.save_screenshot(name, path=str(DOCS))
                print(f"wrote {DOCS / name}")
    finally:
        source.close()


def main() -> int:
    asyncio.run(shoot("textual-dark", {"tui.svg": None, "tui-evidence.svg": "enter 2"}))
    asyncio.run(shoot("textual-light", {"tui-light.svg": None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
