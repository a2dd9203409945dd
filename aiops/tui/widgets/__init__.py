"""Widgets of the aiops TUI (textual)."""
