"""What changed between two recorded runs: setup, ranking, plan, evidence, cost.

Pure functions over the records `RunHistory.get()` returns; the CLI renders the result.
"""

from __future__ import annotations

import json
from typing import Any

SETUP_FIELDS = ("incident_title", "bundle", "reasoner", "prompt_versions", "state", "version")
TOP = 5


def _ranking(run: dict[str, Any]) -> list[dict[str, Any]]:
    answer = run.get("answer") if isinstance(run.get("answer"), dict) else {}
    return [{"rank": c["rank"], "service": c["service"], "fault": c["fault"], "confidence": c["confidence"]}
            for c in (answer or {}).get("root_causes", [])]


def _calls(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    plan = run.get("plan") if isinstance(run.get("plan"), dict) else {}
    out = {}
    for s in (plan or {}).get("steps", []):
        key = s["tool"] + json.dumps(s.get("args") or {}, sort_keys=True, default=str)
        out.setdefault(key, s)
    return out


def _findings(run: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    ev = run.get("evidence") if isinstance(run.get("evidence"), list) else []
    return {(f["kind"], f["service"], f["signal"]): f for f in ev}


def diff_runs(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    setup = {k: [a.get(k), b.get(k)] for k in SETUP_FIELDS if a.get(k) != b.get(k)}
    ra, rb = _ranking(a), _ranking(b)
    rank_a = {c["service"]: c for c in ra}
    rank_b = {c["service"]: c for c in rb}
    moved = []
    for service in dict.fromkeys([c["service"] for c in ra[:TOP]] + [c["service"] for c in rb[:TOP]]):
        ca, cb = rank_a.get(service), rank_b.get(service)
        if (ca and ca["rank"]) != (cb and cb["rank"]) or (ca and cb and (ca["fault"], round(ca["confidence"], 2))
                                                          != (cb["fault"], round(cb["confidence"], 2))):
            moved.append({"service": service,
                          "a": ca and {k: ca[k] for k in ("rank", "fault", "confidence")},
                          "b": cb and {k: cb[k] for k in ("rank", "fault", "confidence")}})
    calls_a, calls_b = _calls(a), _calls(b)
    status_changed = [{"tool": calls_a[k]["tool"], "args": calls_a[k].get("args"), "a": calls_a[k].get("status"),
                       "b": calls_b[k].get("status")}
                      for k in calls_a.keys() & calls_b.keys() if calls_a[k].get("status") != calls_b[k].get("status")]
    fa, fb = _findings(a), _findings(b)
    brief = lambda f: {k: f[k] for k in ("kind", "service", "signal", "score", "summary")}  # noqa: E731
    usage = {k: [a.get(k) or 0, b.get(k) or 0] for k in ("duration_s", "llm_calls", "prompt_tokens",
                                                          "completion_tokens", "cost_usd")}
    return {
        "a": a["run_id"], "b": b["run_id"],
        "same_top": bool(ra and rb and ra[0]["service"] == rb[0]["service"]),
        "top": [ra[0]["service"] if ra else None, rb[0]["service"] if rb else None],
        "setup": setup,
        "ranking": moved,
        "calls_only_in_a": [_call(calls_a[k]) for k in calls_a.keys() - calls_b.keys()],
        "calls_only_in_b": [_call(calls_b[k]) for k in calls_b.keys() - calls_a.keys()],
        "calls_status_changed": status_changed,
        "findings_only_in_a": sorted((brief(fa[k]) for k in fa.keys() - fb.keys()), key=lambda f: -f["score"]),
        "findings_only_in_b": sorted((brief(fb[k]) for k in fb.keys() - fa.keys()), key=lambda f: -f["score"]),
        "usage": usage,
        "verdicts": [(a.get("feedback") or {}).get("verdict"), (b.get("feedback") or {}).get("verdict")],
    }


def _call(step: dict[str, Any]) -> dict[str, Any]:
    return {"tool": step["tool"], "args": step.get("args") or {}, "status": step.get("status", "")}
