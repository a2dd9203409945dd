"""No secret shape from the corpus reaches a model; placeholders are stable and restorable."""

from __future__ import annotations

import json

from aiops.gateway import FakeModel, Gateway, Redactor


def _sent_text(fake: FakeModel) -> str:
    return json.dumps([{"messages": r.messages, "tools": r.tools} for r in fake.requests], ensure_ascii=False)


def test_corpus_has_at_least_fifty_secret_shapes(secret_corpus):
    assert len(secret_corpus.CORPUS) >= 50
    assert len({label for label, _, _ in secret_corpus.CORPUS}) == len(secret_corpus.CORPUS)


def test_no_corpus_secret_appears_in_any_outgoing_prompt(secret_corpus, tmp_path):
    fake = FakeModel(default="noted")
    gateway = Gateway.scripted(fake, tmp_path)
    for label, text, _ in secret_corpus.CORPUS:
        # as a user message, as a tool result and inside a tool call the model made earlier
        messages = [
            {"role": "system", "content": "You diagnose incidents."},
            {"role": "user", "content": f"incident notes ({label}):\n{text}"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "grep_logs", "arguments": json.dumps({"pattern": text})}}]},
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": f"match: {text}"}]},
        ]
        gateway.complete("planner", messages, tools=[{"type": "function", "function": {"name": "grep_logs", "description": text}}])
    sent = _sent_text(fake)
    leaks = [(label, s) for label, _, secrets in secret_corpus.CORPUS for s in secrets
             if s in sent or json.dumps(s)[1:-1] in sent]
    assert leaks == []
    assert len(fake.requests) == len(secret_corpus.CORPUS)


def test_clean_operational_text_is_left_alone(secret_corpus):
    redactor = Redactor()
    for text in secret_corpus.CLEAN:
        assert redactor.redact(text)[0] == text


def test_each_corpus_item_round_trips_through_restore(secret_corpus):
    for _, text, _ in secret_corpus.CORPUS:
        redactor = Redactor()
        redacted, mapping = redactor.redact(text)
        assert redacted != text
        assert Redactor.restore(redacted, mapping) == text


def test_same_secret_gets_the_same_placeholder_across_messages():
    redactor = Redactor()
    first, _ = redactor.redact("login password=hunter2-xyz failed")
    second, _ = redactor.redact("retry with password=hunter2-xyz and token=abc999")
    assert first == "login password=[REDACTED_SECRET_VALUE_1] failed"
    assert second == "retry with password=[REDACTED_SECRET_VALUE_1] and token=[REDACTED_SECRET_VALUE_2]"
    # redacting already-redacted text changes nothing
    assert redactor.redact(second)[0] == second


def test_pii_is_redacted_only_when_asked():
    text = "user bob@example.com from 10.20.30.40 got 500"
    assert Redactor().redact(text)[0] == text
    redacted, mapping = Redactor(pii=True).redact(text)
    assert redacted == "user [REDACTED_EMAIL_1] from [REDACTED_IPV4_1] got 500"
    assert Redactor.restore(redacted, mapping) == text


def test_known_provider_key_is_replaced_even_without_a_known_shape():
    redactor = Redactor(literals=["opaque-provider-credential-42"])
    out, _ = redactor.redact("the header carried opaque-provider-credential-42 verbatim")
    assert "opaque-provider-credential-42" not in out
    assert "[REDACTED_PROVIDER_KEY_1]" in out


def test_model_reply_keeps_placeholders_but_tool_arguments_are_restored_locally(tmp_path):
    fake = FakeModel()
    fake.enqueue(lambda req: [FakeModel.tool_call("query_db", dsn=req.messages[0]["content"].split()[-1])])
    fake.enqueue(lambda req: "the password [REDACTED_URL_PASSWORD_1] was rejected")
    gateway = Gateway.scripted(fake, tmp_path)
    dsn = "postgres://app:pg_S3cretPass@db:5432/orders"
    first = gateway.complete("planner", [{"role": "user", "content": f"check {dsn}"}])
    assert "pg_S3cretPass" not in json.dumps(fake.requests[0].messages)
    assert first.tool_calls[0].arguments == {"dsn": dsn}          # executed locally with the real value
    second = gateway.complete("planner", [{"role": "user", "content": f"why {dsn}"}])
    assert "pg_S3cretPass" not in second.text
    assert gateway.restore(second.text) == "the password pg_S3cretPass was rejected"
