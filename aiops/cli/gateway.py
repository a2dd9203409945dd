"""`aiops gateway keys create|list|revoke`, `aiops gateway usage`, `aiops gateway models`."""

from __future__ import annotations

import json
from typing import Any, Optional

import typer

from aiops.errors import BadInputError

app = typer.Typer(no_args_is_help=True)
keys_app = typer.Typer(no_args_is_help=True)
app.add_typer(keys_app, name="keys", help="Internal keys for the agent, a team or a CI job, with quotas.")

_FORMATS = ("text", "json")
_GROUPS = ("key", "model", "day", "alias")


def _check_format(fmt: str) -> None:
    if fmt not in _FORMATS:
        raise BadInputError(f"--format {fmt!r}: use one of {', '.join(_FORMATS)}")


def _store():
    from aiops.cli.global_options import load_cli_settings
    from aiops.gateway import InternalKeyStore, gateway_paths

    return InternalKeyStore(gateway_paths(load_cli_settings())[1])


def _record_json(record: Any) -> dict[str, Any]:
    from dataclasses import asdict

    from aiops.timeutil import to_rfc3339

    data = asdict(record)
    data.pop("key_hash")
    data["created_at"] = to_rfc3339(record.created_at)
    data["revoked_at"] = to_rfc3339(record.revoked_at) if record.revoked_at else None
    data["active"] = record.active
    return data


def _non_negative(flag: str, value: float | None) -> None:
    if value is not None and value < 0:
        raise BadInputError(f"{flag} {value!r}: must be >= 0")


@keys_app.command("create")
def keys_create(
    name: str = typer.Argument(..., help="Who holds the key: 'agent', 'team-sre', 'ci-nightly'."),
    tokens_per_day: Optional[int] = typer.Option(None, "--tokens-per-day", help="Prompt + completion tokens a UTC day."),
    usd_per_day: Optional[float] = typer.Option(None, "--usd-per-day", help="Spend a UTC day, in USD."),
    requests_per_min: Optional[int] = typer.Option(None, "--requests-per-min", help="Provider requests a minute."),
    max_tokens_per_run: Optional[int] = typer.Option(None, "--max-tokens-per-run", help="Tokens one run (one diagnosis) may use."),
    profile: str = typer.Option("default", "--profile", help="Provider-key profile in the key file this key maps to."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json"),
) -> None:
    """Create an internal key. The key is printed once, here; only its hash is stored."""
    _check_format(fmt)
    for flag, value in (("--tokens-per-day", tokens_per_day), ("--usd-per-day", usd_per_day),
                        ("--requests-per-min", requests_per_min), ("--max-tokens-per-run", max_tokens_per_run)):
        _non_negative(flag, value)
    from aiops.gateway import Quotas

    quotas = Quotas(tokens_per_day, usd_per_day, requests_per_min, max_tokens_per_run)
    record, plain = _store().create(name, quotas, profile)
    if fmt == "json":
        typer.echo(json.dumps({**_record_json(record), "key": plain}, indent=2))
    else:
        typer.echo(plain)
    typer.echo(f"created {record.key_id} ({record.name}): {quotas.describe()}; profile {profile}. "
               "Store the key now: it cannot be shown again (set AIOPS_GATEWAY_INTERNAL_KEY to use it).", err=True)


@keys_app.command("list")
def keys_list(
    show_revoked: bool = typer.Option(False, "--all", help="Include revoked keys."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json"),
) -> None:
    """List internal keys (id, name, hint, profile, quotas); never the keys themselves."""
    _check_format(fmt)
    records = [r for r in _store().list() if show_revoked or r.active]
    if fmt == "json":
        typer.echo(json.dumps([_record_json(r) for r in records], indent=2))
        return
    if not records:
        typer.echo("no internal keys (create one with: aiops gateway keys create NAME)", err=True)
        return
    from aiops.timeutil import to_rfc3339

    rows = [("ID", "NAME", "KEY", "PROFILE", "STATUS", "CREATED", "QUOTAS")]
    rows += [(r.key_id, r.name, r.hint + "...", r.profile, "active" if r.active else "revoked",
              to_rfc3339(r.created_at)[:19], r.quotas.describe()) for r in records]
    _print_table(rows)


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="Key id (k-...) or name.")) -> None:
    """Revoke an internal key: every later call presenting it is refused."""
    record = _store().revoke(key)
    typer.echo(f"revoked {record.key_id} ({record.name})", err=True)


@app.command("usage")
def usage(
    by: str = typer.Option("key", "--by", help="Group by key, model, day or alias."),
    since: Optional[str] = typer.Option(None, "--since", help="A duration back from now (24h, 7d) or an RFC 3339 time."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json"),
) -> None:
    """Calls, tokens, cost, cache hits and failures from the ledger."""
    _check_format(fmt)
    if by not in _GROUPS:
        raise BadInputError(f"--by {by!r}: use one of {', '.join(_GROUPS)}")
    from aiops.cli.global_options import load_cli_settings
    from aiops.gateway import InternalKeyStore, Ledger, gateway_paths

    settings = load_cli_settings()
    ledger_path, keys_path, _ = gateway_paths(settings)
    rows = Ledger(ledger_path).usage(by, _since(since))
    if by == "key":
        names = {r.key_id: r.name for r in InternalKeyStore(keys_path).list()}
        for row in rows:
            row["name"] = names.get(row["grp"], "")
    for row in rows:
        row[by] = row.pop("grp")
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        typer.echo(f"no calls recorded in {ledger_path}", err=True)
        return
    table = [(by.upper(), "REQUESTS", "CACHE HITS", "FAILURES", "PROMPT TOK", "COMPL TOK", "COST USD", "AVG LATENCY S")]
    for r in rows:
        label = f"{r[by]} ({r['name']})" if r.get("name") else str(r[by])
        table.append((label, str(r["requests"]), str(r["cache_hits"]), str(r["failures"]), str(r["prompt_tokens"]),
                      str(r["completion_tokens"]), f"{r['cost_usd']:.4f}", f"{r['avg_latency_s']:.2f}"))
    _print_table(table)


@app.command("models")
def models(fmt: str = typer.Option("text", "--format", "-f", help="text or json")) -> None:
    """Show each model alias and its fallback chain (from [models])."""
    _check_format(fmt)
    from aiops.cli.global_options import load_cli_settings
    from aiops.gateway.models import ModelCatalog

    catalog = ModelCatalog.from_settings(load_cli_settings())
    routes = {alias: catalog.resolve(alias) for alias in sorted(catalog.aliases())}
    if fmt == "json":
        typer.echo(json.dumps({a: [{"model": t.model, "api_base": t.api_base, "context_window": t.context_window}
                                   for t in r.targets] for a, r in routes.items()}, indent=2))
        return
    if not routes:
        typer.echo("no model aliases set: add [models] planner = \"provider/model\" to the config", err=True)
        return
    for alias, route in routes.items():
        typer.echo(f"{alias}: " + " -> ".join(t.model + (f" @ {t.api_base}" if t.api_base else "") for t in route.targets))


def _since(value: str | None) -> float | None:
    if not value:
        return None
    import time

    from aiops.errors import AiopsError
    from aiops.timeutil import parse_duration, parse_timestamp

    try:
        return time.time() - parse_duration(value)
    except (ValueError, AiopsError):
        pass
    try:
        return parse_timestamp(value)
    except (ValueError, AiopsError):
        raise BadInputError(f"--since {value!r}: expected a duration (24h, 7d) or an RFC 3339 time") from None


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
