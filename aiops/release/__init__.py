"""The post-release check (CI hook): compare the windows before and after a release, decide
pass / warn / fail, and diagnose a failed release. Entry point: `aiops.release.gate.check_release`."""
