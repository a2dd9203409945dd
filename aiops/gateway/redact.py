"""The gateway's redaction is aiops.redaction (a low layer, so the run history, the reports and
the release check use the same one); this name stays for the gateway and its callers."""

from aiops.redaction.redactor import PLACEHOLDER, Redactor

__all__ = ["PLACEHOLDER", "Redactor"]
