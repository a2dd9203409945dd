"""`aiops report`: the post-release check a CI pipeline calls after a deploy.

    aiops report --release v1.4.2 --deployed-at 2024-05-01T10:00:00Z --bundle DIR \\
        [--service checkout] [--baseline 1h] [--after 15m] [--out-dir reports/]

Compares the windows before and after the release, prints the Markdown report (or
--format json|html|junit|none) to standard output, writes the requested files atomically,
appends the Markdown to $GITHUB_STEP_SUMMARY when set, and exits 0 on pass or warn, 1 on
fail, 2 on bad input (one line naming the flag, file or value), 3 when a report cannot be
written (disk full: one line naming the file; --out-dir then still holds its previous set).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from aiops.errors import BadInputError

FORMATS = ("markdown", "json", "html", "junit", "none")
OUT_DIR_FILES = {"markdown": "release-report.md", "html": "release-report.html", "json": "release-report.json",
                 "junit": "release-junit.xml"}


def _duration(flag: str, value: str | None) -> float | None:
    from aiops.timeutil import parse_duration

    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except ValueError:
        raise BadInputError(f"{flag} {value!r}: not a duration (use e.g. 15m, 1h, 90s)") from None
    if seconds <= 0:
        raise BadInputError(f"{flag} {value!r}: must be longer than 0")
    return seconds


def _time(value: str) -> float:
    from aiops.timeutil import parse_timestamp

    try:
        return parse_timestamp(value)
    except ValueError:
        raise BadInputError(f"--deployed-at {value!r}: not a time (use RFC 3339, e.g. 2024-05-01T10:00:00Z, "
                            "or unix seconds)") from None


def _writable(flag: str, path: Path) -> Path:
    from aiops.writing import check_parent, write_through

    write_through(path, flag)           # refuses a directory
    check_parent(path, flag)
    return path


def _outputs(out_dir: Path | None, files: dict[str, Path | None]) -> dict[str, Path]:
    """format -> file to write (outside --out-dir), checked before any work is done."""
    from aiops.writing import check_output_dir

    if out_dir is not None:
        check_output_dir(out_dir, "--out-dir")
    targets: dict[str, Path] = {}
    for fmt, path in files.items():
        if path is not None:
            targets[fmt] = _writable(f"--{fmt}", path)
    return targets


def report_command(
    release: str = typer.Option(..., "--release", "-r", help="The release tag or version being checked, e.g. v1.4.2."),
    deployed_at: Optional[str] = typer.Option(
        None, "--deployed-at", help="When it was deployed: RFC 3339 or unix seconds. Default: the time of the deploy "
                                    "event in the data that names --release."),
    service: List[str] = typer.Option([], "--service", "-s", help="Check only this service (repeatable). "
                                                                   "Default: every service with data."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Window before the release (default: [release] "
                                                                    "baseline, 1h)."),
    after: Optional[str] = typer.Option(None, "--after", help="Window after the release (default: [release] after, 15m)."),
    history_days: Optional[int] = typer.Option(None, "--history-days", help="Compare with the same hours of up to "
                                                                            "this many previous days (default 7)."),
    bundle: Optional[Path] = typer.Option(None, "--bundle", "-b", help="Bundle directory holding the windows."),
    source: List[str] = typer.Option([], "--source", help="Read the windows from this live source instead of a "
                                                           "bundle: prometheus[:NAME], kubernetes[:NAME], loki, "
                                                           "jaeger, tempo, files (repeatable; configured in [sources])."),
    snapshot: Optional[Path] = typer.Option(None, "--snapshot", help="With --source: write what was compared as a "
                                                                     "bundle here (default: <out-dir>/snapshot)."),
    fmt: str = typer.Option("markdown", "--format", "-f", help="Standard output: markdown, json, html, junit or none."),
    markdown_file: Optional[Path] = typer.Option(None, "--markdown", help="Write the Markdown report to this file."),
    html_file: Optional[Path] = typer.Option(None, "--html", help="Write the self-contained HTML report to this file."),
    json_file: Optional[Path] = typer.Option(None, "--json", help="Write the JSON report to this file."),
    junit_file: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML (one test case per check)."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Write all four reports into this directory "
                                                                   "(release-report.md/.html/.json, release-junit.xml)."),
    step_summary: Optional[Path] = typer.Option(None, "--step-summary", help="Append the Markdown to this file "
                                                                             "(default: $GITHUB_STEP_SUMMARY when set)."),
    no_diagnose: bool = typer.Option(False, "--no-diagnose", help="Do not run the diagnosis when the verdict is fail."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines on standard error."),
) -> None:
    """Compare the windows before and after a release; report and gate (exit 1 on fail)."""
    from aiops.cli.global_options import load_cli_settings
    from aiops.config import step_summary_path

    if not release.strip():
        raise BadInputError("--release '': give the release tag or version")
    if fmt not in FORMATS:
        raise BadInputError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    _duration("--baseline", baseline)
    _duration("--after", after)
    if history_days is not None and not 0 <= history_days <= 28:
        raise BadInputError(f"--history-days {history_days}: choose 0 to 28")
    deployed = _time(deployed_at) if deployed_at is not None else None
    settings = load_cli_settings({"release.baseline": baseline, "release.after": after,
                                  "release.history_days": history_days,
                                  "release.diagnose_on_fail": False if no_diagnose else None,
                                  "release.step_summary": str(step_summary) if step_summary else None})
    summary_file = step_summary_path(settings)
    if summary_file is not None:
        _writable("--step-summary" if step_summary else "$GITHUB_STEP_SUMMARY", summary_file)
    if bundle is None and not source:
        raise BadInputError("give --bundle DIR or --source prometheus[:NAME] (the data holding the release windows)")
    if bundle is not None and source:
        raise BadInputError("give either --bundle or --source, not both")
    if snapshot is not None and not source:
        raise BadInputError("--snapshot goes with --source (a bundle is its own snapshot)")
    targets = _outputs(out_dir, {"markdown": markdown_file, "html": html_file, "json": json_file, "junit": junit_file})
    if snapshot is None and source and out_dir is not None:
        snapshot = out_dir / "snapshot"

    def say(text: str) -> None:
        if not quiet:
            typer.echo(text, err=True)

    from aiops.release.data import deployed_at_from_events, load_release_bundle
    from aiops.release.gate import check_release
    from aiops.release.model import ReleaseRequest, ReleaseWindows
    from aiops.timeutil import parse_duration, to_rfc3339

    cfg = settings.release
    if source:
        from aiops.cli.report_live import live_release, write_snapshot

        store, request, notes, missing = live_release(
            settings, source, release, deployed,
            lambda t: ReleaseWindows(t, parse_duration(cfg.baseline), parse_duration(cfg.after), cfg.history_days),
            tuple(service), say)
        try:
            say("aiops report: comparing before and after the release")
            report = check_release(store, request, settings, notes=notes, missing=missing)
            if snapshot is not None:
                write_snapshot(store, request, snapshot, missing, notes)
                say(f"aiops report: wrote the snapshot of what was compared to {snapshot} "
                    f"(replay: aiops report --release {release} --deployed-at {to_rfc3339(deployed)} --bundle {snapshot})")
            else:
                say("aiops report: no snapshot written (give --out-dir or --snapshot DIR to keep what was compared)")
        finally:
            store.close()
        _finish(report, settings, targets, fmt, summary_file, out_dir, say)
        return
    say(f"aiops report: loading {bundle}")
    loaded = load_release_bundle(bundle)
    try:
        if deployed is None:
            deployed = deployed_at_from_events(loaded.store, release)
            if deployed is None:
                raise BadInputError(f"--deployed-at: not given, and no deploy event in {bundle} names release {release!r}")
            say(f"aiops report: deployed at {to_rfc3339(deployed)} (deploy event naming {release})")
        windows = ReleaseWindows(deployed, parse_duration(cfg.baseline), parse_duration(cfg.after), cfg.history_days)
        request = ReleaseRequest(release, windows, tuple(service), source=f"bundle {bundle}")
        say("aiops report: comparing before and after the release")
        report = check_release(loaded.store, request, settings, notes=list(loaded.warnings))
    finally:
        loaded.store.close()
    _finish(report, settings, targets, fmt, summary_file, out_dir, say)


def _finish(report, settings, targets: dict[str, Path], fmt: str, summary_file: Path | None, out_dir: Path | None,
            say) -> None:  # noqa: ANN001
    """Write the reports, print one, exit 1 on fail."""
    rendered = _render(report, settings, set(targets) | ({fmt} if fmt != "none" else set()) |
                       ({"markdown"} if summary_file else set()) | (set(OUT_DIR_FILES) if out_dir else set()))
    from aiops.report.files import write_atomic, write_directory

    if out_dir is not None:         # the whole set swapped in at once: never a mix of two releases
        write_directory(out_dir, {name: rendered[kind] for kind, name in OUT_DIR_FILES.items()}, "--out-dir")
        say(f"aiops report: wrote {', '.join(OUT_DIR_FILES.values())} in {out_dir}")
    for kind, path in targets.items():
        write_atomic(path, rendered[kind], f"--{kind}")
        say(f"aiops report: wrote {path}")
    if summary_file is not None:
        from aiops.errors import WriteError, os_reason

        try:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(rendered["markdown"] + "\n")
        except OSError as exc:
            raise WriteError(f"{summary_file}: cannot append the step summary: {os_reason(exc)}") from None
    if fmt != "none":
        sys.stdout.write(rendered[fmt] if rendered[fmt].endswith("\n") else rendered[fmt] + "\n")
    counts = report.counts()
    say(f"aiops report: {report.verdict} ({counts['fail']} failing, {counts['warn']} warning, "
        f"{counts['pass']} passing checks)")
    if report.verdict == "fail":
        raise typer.Exit(1)


def _render(report, settings, kinds: set[str]) -> dict[str, str]:
    out = {}
    n = settings.release.max_root_causes
    if "markdown" in kinds:
        from aiops.report.release_markdown import render_release_markdown

        out["markdown"] = render_release_markdown(report, n)
    if "html" in kinds:
        from aiops.report.release_html import render_release_html

        out["html"] = render_release_html(report, n)
    if "json" in kinds:
        from aiops.report.release_json import render_release_json

        out["json"] = render_release_json(report) + "\n"
    if "junit" in kinds:
        from aiops.report.release_junit import render_release_junit

        out["junit"] = render_release_junit(report)
    return out
