"""`aiops tui`: watch an investigation live and drill into its evidence (textual).

Only this package imports textual, and only `aiops.tui.app` and the widget/screen
modules do: `source`, `run_state`, `command_line`, `plot` and the evidence modules are
plain Python, so the CLI can validate its input before textual is imported.
"""
