"""The incident memory: past diagnoses and verdicts, recalled when a similar incident comes."""
