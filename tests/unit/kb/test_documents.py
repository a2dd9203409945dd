from __future__ import annotations

from pathlib import Path

import pytest

from aiops.kb.documents import MAX_CHUNK_CHARS, DocumentError, parse_document


def parse(name: str, text: str | bytes):
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return parse_document(Path(name), data)


def test_markdown_is_split_by_headings_with_front_matter_metadata() -> None:
    doc = parse("oom.md", "---\ntitle: OOM runbook\ntags: [Kubernetes, memory]\nfaults: memory_leak, oom\nservices: [cart]\n---\n"
                          "# OOM\n\nIntro.\n\n## Symptoms\n\nExit code 137.\n\n## Checks\n\n### PromQL\n\n`container_memory_working_set_bytes`\n")
    assert doc.title == "OOM runbook"
    assert doc.tags == ("kubernetes", "memory")
    assert doc.faults == ("memory_leak", "oom")
    assert doc.services == ("cart",)
    assert [(c.section, c.text) for c in doc.chunks] == [
        ("", "Intro."), ("Symptoms", "Exit code 137."), ("Checks > PromQL", "`container_memory_working_set_bytes`")]


def test_hash_lines_inside_code_fences_are_not_headings() -> None:
    doc = parse("x.md", "# T\n\n## Checks\n\n```bash\n# list pods\nkubectl get pods\n```\n\n## Fix\n\nRestart.\n")
    assert [c.section for c in doc.chunks] == ["Checks", "Fix"]
    assert "# list pods" in doc.chunks[0].text


def test_setext_headings_and_title_from_first_h1() -> None:
    doc = parse("x.md", "Disk full\n=========\n\nIntro.\n\nChecks\n------\n\nRun df -h.\n")
    assert doc.title == "Disk full"
    assert [c.section for c in doc.chunks] == ["", "Checks"]


def test_html_becomes_markdown_sections_without_scripts() -> None:
    doc = parse("k.html", "<html><head><title>Kafka guide</title><style>p{}</style></head><body><h1>Kafka</h1>"
                          "<h2>Lag</h2><p>Check <b>consumer</b> lag.</p><ul><li>one</li><li>two</li></ul>"
                          "<script>alert(1)</script></body></html>")
    assert doc.title == "Kafka guide"
    assert doc.format == "html"
    assert doc.chunks[0].section == "Lag"
    assert "**consumer**" in doc.chunks[0].text and "- two" in doc.chunks[0].text
    assert "alert" not in doc.chunks[0].text


def test_plain_text_is_split_into_paragraph_groups_and_named_after_the_file() -> None:
    para = ("word " * 150).strip()
    doc = parse("on-call_notes.txt", "\n\n".join([para] * 6))
    assert doc.title == "On call notes"
    assert len(doc.chunks) >= 2
    assert all(len(c.text) <= MAX_CHUNK_CHARS for c in doc.chunks)
    assert all(c.section == "" for c in doc.chunks)


def test_a_huge_paragraph_is_cut_and_nothing_is_lost() -> None:
    words = [f"w{i}" for i in range(2000)]
    doc = parse("big.md", "# Big\n\n" + " ".join(words))
    assert len(doc.chunks) > 1
    assert " ".join(c.text for c in doc.chunks).split() == words


@pytest.mark.parametrize(("name", "data", "fragment"), [
    ("bad.md", "---\ntitle: [unclosed\n---\n# x\n", "front matter is not valid YAML"),
    ("bad.md", "---\n- a list\n---\n# x\n", "front matter must be a mapping"),
    ("bad.md", "---\ntags: {a: 1}\n---\n# x\n", "tags"),
    ("bad.md", b"# caf\xe9\n", "not UTF-8"),
    ("bad.pdf", "x", "unsupported file type"),
])
def test_unusable_files_raise_one_line_errors_naming_the_file(name: str, data: str | bytes, fragment: str) -> None:
    with pytest.raises(DocumentError) as err:
        parse(name, data)
    assert name in str(err.value) and fragment in str(err.value)
    assert "\n" not in str(err.value)
