"""Renderers: turn a Diagnosis into JSON (the spec document), Markdown or a rich text report."""
