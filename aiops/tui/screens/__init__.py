"""Screens of the aiops TUI (textual)."""
