"""aiops: a command-line AIOps diagnostic agent."""

__version__ = "0.1.0"
