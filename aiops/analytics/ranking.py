"""Root-cause ranking: combine metric, log, trace and change evidence over the service graph.

Input is a flat list of `Finding`s (any subset of signal kinds) plus the caller -> callees
graph (from traces) and dependencies inferred from error logs (see `mentions`; those the
traces contradict are dropped). Each service gets two scores (see `weighing` for what
counts as which and how much):

* **own** — its own behaviour: resource pressure, trace self time and own errors, its own
  exceptions, a symptom only one of its replicas shows, target down, cluster warnings
  (a quarter weight unless behaviour changed too) and changes (deploy, config) when its
  behaviour changed within minutes after them (where its request time is measured: its
  requests got slower or failed, or it restarted — a rollout moves memory and CPU anyway);
* **symptom** — latency, errors, traffic, failed calls and being named in other services'
  error lines, which callers inherit from a faulty dependency.

CPU, network or memory that rose no more than the service's own requests is *load*, a
symptom of a surge (the cost per request held); the surge is own evidence only where it
entered — the service whose traffic rose more than its callers'.

A service is *explained* by an anomalous dependency (a transitive callee at least STRONG
whose first onset is no later than the service's typical onset): its symptoms are
discounted to a quarter and its own evidence a little (self time and own errors also grow
from uninstrumented waits), so the deepest anomalous service wins over its louder callers.
A service-map node that is only its callers' view of a service (`X_client`, `X_remote`
beside `X_<type>`, see `views`) is folded into that service as client-side evidence.
A dependency with telemetry of its own explains callers only if that telemetry changed;
being named in error lines is enough only for one without any (an unmonitored database).
Within one signal kind, classes are correlated views (max plus a little; a class seen both in
the service's own series and in its callers' views of it counts once); across kinds
evidence is independent (noisy-OR), so any subset of signals works and a service with many
series does not win by count. Among close candidates the earlier onset wins.

Trouble a surge brought downstream (a service that bore at least SURGE its requests from a
surge that entered upstream) is explained by the surge's entry. The slowness of a service whose
traced callees, all timed, held is its own (ORIGIN_FACTOR), and a caller's added time spent in an
untraced peer is the peer's (`peers.where_the_time_went`). A service whose evidence cannot have
caused what the alert says (slowness alone under an error alert, failures alone under a latency
alert: `weighing.fits_alert`) weighs MISMATCH_FACTOR.
"""

from __future__ import annotations

import math
from collections import defaultdict

from aiops.analytics.candidates import Candidate
from aiops.analytics.combine import noisy_or, per_kind, weighted_median
from aiops.analytics.graphs import descendants
from aiops.analytics.load import load_borne, load_ratio, surges
from aiops.analytics.peers import spent_in, where_the_time_went
from aiops.analytics.shift import z_score
from aiops.analytics.views import fold_views, view_owners
from aiops.analytics.weighing import TRAFFIC_FACTOR, class_of, fault_of, felt, fits_alert, is_own, weight_of
from aiops.domain import Finding

EXPLAINED_FACTOR = 0.25     # a symptom explained by an anomalous dependency keeps this much
OWN_EXPLAINED_FACTOR = 0.85  # own evidence beside an anomalous dependency: self time and own
                            # errors also grow from uninstrumented waits (lost calls, retries)
ONSET_TOLERANCE_S = 66.0    # clock skew and scrape spacing: onsets this close count as together (a 60-s
                            # scrape, with the jitter of its timestamps)
BEAR_LEAD_S = 120.0   # a slowdown that began this much before a resource moved is not its doing
STRONG = 0.5                # a dependency this anomalous can explain its callers' symptoms
CHANGE_SKEW_S = 20.0       # a change can explain behaviour first seen this little before it (clocks), no more
CHANGE_EFFECT_S = 300.0     # a change explains behaviour that changed within this long after it
CORROBORATED = 0.25         # own telemetry this changed lets mentions add to a dependency's strength
TIMED = 0.3                 # findings this strong date a service's anomaly (weighted median)
SENT_FACTOR = 0.5           # a surge the service's callers' views show they sent it
HELD_FACTOR = 0.5           # memory that stepped up and held its level: a new working set more often than a leak
UNSEEN_FACTOR = 0.25        # a latency rise the callers' views of the service did not show
LATE_FACTOR = 0.25          # a metric change the scan found `late` weighs this much as evidence of a cause
ALERTED_FACTOR = 0.5        # the alerted service's symptoms, which nothing else explains: the alert said as much
ORIGIN_FACTOR = 1.3         # the slowness of a service whose traced, timed callees all held starts there ...
ORIGIN_SHARE = 0.5          # ... held: slowed less than this share of it, and nothing of their own beyond doubt
MISMATCH_FACTOR = 0.5       # a service whose evidence cannot have caused what the alert says (`fits_alert`)
UNREACHED_FACTOR = 0.5      # a traced service the alerted one does not call (nor got a surge through): no path


# evidence classes through which a dependency's trouble reaches its callers
WEAK_WEIGHT = 0.15          # a series whose median moved far but passed no change test: a little symptom
RESOURCE_ALONE_FACTOR = 0.3  # CPU or network that moved while the service's timed requests did not change ...
IMPACT = 0.05                # ... (no latency or error finding of at least this weight)
BEAR_SHARE = 0.5             # requests hurt with half the resource's weight (at most STRONG) bear it out in full
RESOURCE_CLASSES = frozenset({"cpu", "network"})   # resources that hurt through slowness (not a full disk)
SURGE = 2.0                  # a surge of this many times the requests explains the trouble it brought downstream
IMPACT_CLASSES = frozenset({"latency", "errors", "error"})   # how a service's requests show that they were hurt
CRASHES = frozenset({"oom", "restart", "crash"})   # event tags of a container that died
PASSED_ON = frozenset({"latency", "errors", "error", "restarts", "mentioned", "new"})


def _alerted_share(service: str, alerted: str) -> float:
    """How much of a move counts for ranking: the alert already said the alerted service moved
    (ALERTED_FACTOR); what it moved is still reported in full."""
    return ALERTED_FACTOR if service == alerted else 1.0


def _reaching(graph: dict[str, set[str]], callers: dict[str, set[str]], alerted: str, entry: set[str]) -> set[str]:
    """The services whose trouble can reach the alerted one along the calls: itself, what it
    calls (directly or not), and a caller upstream through which a surge of requests came."""
    return {alerted} | set(descendants(graph, alerted)) | (set(descendants(callers, alerted)) & entry)


def _hurt_since(impact: list[tuple[float | None, float]], moved: float | None) -> float:
    """How much the requests were hurt by a slowdown or failures that did not begin before a
    resource moved (BEAR_LEAD_S): what was already wrong before the CPU rose was not its doing."""
    return max((w for at, w in impact if moved is None or at is None or at >= moved - BEAR_LEAD_S), default=0.0)


def _follows(change_at: float | None, onset: float) -> bool:
    """Did a behaviour change with this onset follow the change (deploy, config) closely?"""
    return change_at is None or change_at - CHANGE_SKEW_S <= onset <= change_at + CHANGE_EFFECT_S


def rank_candidates(
    findings: list[Finding],
    services: list[str],
    graph: dict[str, set[str]] | None = None,
    onset_hint: float | None = None,
    inferred: dict[str, set[str]] | None = None,
    measured: set[str] | frozenset[str] = frozenset(),
    alerted: str = "",
    time_measured: set[str] | frozenset[str] = frozenset(),
    alerted_symptom: str = "",
) -> list[Candidate]:
    """Rank every service with data; best first. Pure and deterministic. `measured` names the
    services whose own latency or errors are measured (latency/error series, or spans): such
    a dependency passes trouble on to its callers only through its latency, errors or
    absence, so only that evidence lets it explain their symptoms. `alerted` is the service the alert fired on: what
    it shows is the symptom to explain, so its own-looking evidence (its time, its errors,
    its resources under the load the fault put on it) counts as symptoms — if no dependency
    explains them, they are still its own. `time_measured` names the services whose request
    time is measured (latency series or spans): CPU or network that moved on one of them while
    its requests neither slowed nor failed weighs less (RESOURCE_ALONE_FACTOR). A metric change
    first seen late (tag `late`, judged by the scan against its sampling step) weighs LATE_FACTOR.
    `onset_hint` is the onset the evidence was gathered around (the scans judged against it).
    `alerted_symptom` is what the alert says went wrong ("errors", "latency" or ""): a service
    whose evidence cannot have caused it weighs MISMATCH_FACTOR."""
    graph = {k: set(v) for k, v in (graph or {}).items()}
    traced = set(graph) | {c for v in graph.values() for c in v}
    owners = view_owners(set(services) | {f.service for f in findings if f.service}, traced)
    findings, services = fold_views(findings, services, owners)
    findings = where_the_time_went(findings)
    spent = spent_in(findings)     # a caller whose added time went to an untraced peer: the peer explains it
    alerted = owners.get(alerted, alerted)
    measured = set(measured) | {o for v, o in owners.items() if v in measured}
    time_measured = set(time_measured) | {o for v, o in owners.items() if v in time_measured}
    traced_graph = {k: set(v) for k, v in graph.items()}
    for caller, deps in (inferred or {}).items():
        # Traces know who calls whom: a dependency read from error text that the traces
        # contradict (both traced, callee not reachable from the caller) is dropped.
        reach = set(descendants(traced_graph, caller)) if caller in traced else set()
        graph.setdefault(caller, set()).update(d for d in deps if caller not in traced or d not in traced or d in reach)
    cands = {s: Candidate(s) for s in services}
    with_data = set(services)
    callers: dict[str, set[str]] = defaultdict(set)
    for caller, deps in graph.items():
        for d in deps:
            callers[d].add(caller)
    load = load_ratio(findings)
    entry, borne_load = surges(load, callers, traced, alerted)
    surged_from = {e: set(descendants(graph, e)) for e in entry}
    for f in findings:
        if f.service:
            cands.setdefault(f.service, Candidate(f.service))

    def score_parts(moved: set[str], inherited: frozenset[str] = frozenset()) -> None:
        parts: dict[str, dict[tuple[bool, str, str], float]] = defaultdict(dict)
        for c in cands.values():
            c.findings, c.onset, c.dated, c.slowed, c.first_seen = [], None, None, 0.0, None
        warnings: dict[str, float] = defaultdict(float)
        impact: dict[str, list[tuple[float | None, float]]] = defaultdict(list)
        moved_at: dict[str, dict[tuple[bool, str, str], float | None]] = defaultdict(dict)   # onset of each part's max
        client_side: dict[str, set[tuple[bool, str, str]]] = defaultdict(set)
        change_at: dict[str, list[tuple[float, float | None]]] = defaultdict(list)
        timed_all: dict[str, list[tuple[float, float]]] = defaultdict(list)
        timed: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for c in cands.values():
            c.onset_typical, c.traced_own = None, False
        for f in findings:
            if not f.service:
                continue
            c = cands[f.service]
            if "weak" in f.tags:
                # below the evidence threshold: it orders the quiet services, and a median that
                # moved >= 3 robust sd still counts a little (the uncertainty of a change test on
                # one or two samples is carried into the score instead of silencing the series)
                c.marginal = max(c.marginal, f.magnitude)
                c.findings.append((0.0, f))
                w = WEAK_WEIGHT * float(z_score(f.magnitude * _alerted_share(f.service, alerted)))
                if w > 0:
                    key = (False, "metric", "weak")
                    parts[f.service][key] = max(parts[f.service].get(key, 0.0), w)
                continue
            own = is_own(f) and not (f.service in moved and f.kind == "trace" and class_of(f) == "errors")
            if own and f.service == alerted and f.kind != "event":
                own = False
            borne = load_borne(f, borne_load)
            own = (own and not borne) or (f.service in entry and f.kind in ("metric", "trace") and f.direction > 0
                                          and (borne or "traffic" in f.tags))
            weight = weight_of(f, own) * (TRAFFIC_FACTOR if borne and not own else 1.0)
            if f.kind == "metric" and "late" in f.tags:
                weight *= LATE_FACTOR
            if "unseen" in f.tags:
                weight *= UNSEEN_FACTOR
            if "sent" in f.tags:
                weight *= SENT_FACTOR
            if "held" in f.tags:
                weight *= HELD_FACTOR
            c.findings.append((weight, f))
            if f.kind == "event":
                if "change" in f.tags:
                    change_at[f.service].append((weight, f.onset))
                elif set(f.tags) & CRASHES:
                    # a container that was killed or crashed and restarted did change: no gate
                    key = (True, "event", "restarts")
                    parts[f.service][key] = max(parts[f.service].get(key, 0.0), weight)
                else:
                    warnings[f.service] = max(warnings[f.service], weight)   # gated below
                continue
            cls = "traffic" if borne else class_of(f)
            key = (own, f.kind, cls + ("/client_side" if "client_side" in f.tags else ""))
            parts[f.service][key] = max(parts[f.service].get(key, 0.0), weight)
            if weight >= parts[f.service][key]:
                moved_at[f.service][key] = f.onset
            worse = cls in IMPACT_CLASSES and f.direction >= 0     # slower or failing, not faster
            if worse:
                impact[f.service].append((f.onset, weight * felt(f)))
                if cls == "latency":
                    c.slowed = max(c.slowed, weight)
            if "client_side" in f.tags:
                client_side[f.service].add(key)
            elif f.kind == "trace" and own and f.score >= STRONG:
                c.traced_own = True
            if f.onset is not None and (f.service not in time_measured or worse or (cls == "restarts" and f.direction >= 0)):
                timed_all[f.service].append((f.onset, weight))
            if f.onset is not None and weight > 0 and "late" not in f.tags:
                c.first_seen = f.onset if c.first_seen is None else min(c.first_seen, f.onset)
            if f.onset is not None and f.score >= TIMED:
                timed[f.service].append((f.onset, weight))
                c.dated = f.onset if c.dated is None else min(c.dated, f.onset)
                if f.score >= STRONG:
                    c.onset = f.onset if c.onset is None else min(c.onset, f.onset)
        for s in set(time_measured) & set(parts):
            # CPU or network that moved while the service's own requests, whose time is measured,
            # neither slowed nor failed impacted nobody (a neighbour's or a batch job's burst):
            # RESOURCE_ALONE_FACTOR of its weight; in full once the requests were hurt with at
            # least BEAR_SHARE of the resource's weight, in between for less (a burst that slowed
            # them a little; a latency rise counts as far as it is felt, `felt`). A resource move
            # beyond STRONG needs no more than a move at STRONG: a CPU hog far beyond doubt is
            # borne out by a slowdown as clear as any other's. A
            # full disk or a leak hurts otherwise (failures, kills) and is kept. Slowness a
            # dependency explains was inherited, not caused by the resource: it bears out nothing.
            for k in [k for k in parts[s] if k[0] and k[2] in RESOURCE_CLASSES]:
                hurt = 0.0 if s in inherited else _hurt_since(impact[s], moved_at[s][k])
                borne = hurt / (BEAR_SHARE * min(parts[s][k], STRONG)) if hurt >= IMPACT else 0.0
                parts[s][k] *= RESOURCE_ALONE_FACTOR + (1.0 - RESOURCE_ALONE_FACTOR) * min(1.0, borne)
        for s, c in cands.items():
            # Within one kind of signal, classes are correlated views (max + a little);
            # across kinds (metric, log, trace, event) evidence is independent (noisy-OR).
            own_vals = per_kind(parts[s], True)
            sym_vals = per_kind(parts[s], False)
            behaviour = min(1.0, noisy_or(own_vals + sym_vals) / STRONG)
            # A change (deploy, config) is suspicious only where behaviour changed right
            # after it: routine deploys of healthy services must not outrank the culprit. Cluster
            # warnings (probe failures, back-offs) alone are common noise: a quarter weight.
            gated = [w * min(1.0, noisy_or(v for t, v in timed_all[s] if _follows(at, t)) / STRONG)
                     for w, at in change_at[s]]
            if gated:
                own_vals.append(max(gated))
            if warnings[s]:
                own_vals.append(warnings[s] * (0.25 + 0.75 * behaviour))
            c.own, c.symptom = noisy_or(own_vals), noisy_or(sym_vals)
            c.onset_typical = weighted_median(timed[s])
            # What may explain callers: a service with telemetry of its own must show it
            # changed (then being named in its callers' errors adds up); being named is
            # enough alone only for one without any (an unmonitored database) — a word like
            # "order" in an exception is not.
            c.strength = max(c.own, c.symptom)
            if s in with_data:
                unnamed = {k: v for k, v in parts[s].items() if k[2] != "mentioned"}
                alone = max(c.own, noisy_or(per_kind(unnamed, False)))
                if alone < CORROBORATED:
                    c.strength = alone
            # ... and seen other than through its callers' client spans (which also carry the
            # callers' own network and client trouble)
            independent = {k: v for k, v in parts[s].items() if k not in client_side[s]}
            c.strength_alone = min(c.strength, max(noisy_or(per_kind(independent, True)),
                                                   noisy_or(per_kind(independent, False))))
            # What its callers can have inherited: a dependency whose own requests are measured
            # passes trouble on only through its latency, errors or absence — its CPU or memory
            # moving does not slow anyone down by itself.
            if s in measured:
                passed = {k: v for k, v in parts[s].items() if k[2].split("/")[0] in PASSED_ON}
                c.strength = min(c.strength, max(noisy_or(per_kind(passed, True)),
                                                 noisy_or(per_kind(passed, False)), max(gated, default=0.0)))
                c.strength_alone = min(c.strength_alone, c.strength)

    def explain() -> set[str]:
        """Set explained_by; return services explained through an untraced, inferred dependency."""
        via_untraced: set[str] = set()
        for s, c in cands.items():
            c.explained_by = spent[s] if spent.get(s) in cands else ""
            for d in ([] if c.explained_by else descendants(graph, s)):
                dc = cands.get(d)
                if dc is None or dc.strength < STRONG:
                    continue
                if c.traced_own and dc.strength_alone < STRONG:
                    continue    # the dependency's trouble may be this caller's own, seen in its client spans
                if c.onset_typical is None or dc.onset is None or dc.onset <= c.onset_typical + ONSET_TOLERANCE_S:
                    c.explained_by = d
                    if d not in traced:
                        via_untraced.add(s)
                    break
            if not c.explained_by and s not in entry and borne_load.get(s, 1.0) >= SURGE:
                # requests it got from a surge that entered upstream: its trouble is the surge's
                for e in sorted(entry):
                    ec = cands.get(e)
                    if (ec is not None and load.get(e, 1.0) >= SURGE and s in surged_from[e]
                            and (c.onset_typical is None or ec.dated is None
                                 or ec.dated <= c.onset_typical + ONSET_TOLERANCE_S)):
                        c.explained_by = e
                        break
        return via_untraced

    score_parts(set())
    moved = explain()
    inherited = frozenset(s for s, c in cands.items() if c.explained_by)
    if moved or inherited:  # own trace errors of a service whose untraced dependency failed are
        score_parts(moved, inherited)   # inherited; so is the slowness that bore its resources out
        explain()

    def _callees_quiet(c: Candidate) -> bool:
        """Its calls are traced, every callee's requests are timed, and none slowed half as much
        as it did nor has evidence of its own beyond doubt: the slowness of `c` starts in `c`
        (what its own spans' self time would say, where its spans are missing). Its errors are
        not judged so: a callee's failures often show only in its callers' metrics."""
        deps = traced_graph.get(c.service, set())
        quiet = [cands.get(owners.get(d, d)) for d in deps]
        return bool(deps) and all(owners.get(d, d) in time_measured for d in deps) and all(
            q is None or (q.slowed < ORIGIN_SHARE * c.slowed and q.own < STRONG) for q in quiet)

    def _dated(c: Candidate) -> float | None:
        # a service whose evidence is all too faint to date it (TIMED) is dated by its first
        # finding that weighs: with little evidence on every side the order of onsets is what is left
        return c.dated if c.dated is not None else c.first_seen

    onsets = [d for c in cands.values() if (d := _dated(c)) is not None]
    first = min(onsets) if onsets else None
    reach = _reaching(graph, callers, alerted, entry) if alerted in traced else None
    for c in cands.values():
        symptom = c.symptom * (EXPLAINED_FACTOR if c.explained_by else _alerted_share(c.service, alerted))
        if c.slowed >= IMPACT and not c.explained_by and _callees_quiet(c):
            # its slowness is its own: weighed like own evidence (its other symptoms are not)
            symptom = max(symptom, min(1.0, c.slowed * _alerted_share(c.service, alerted) * ORIGIN_FACTOR))
        own = c.own * (OWN_EXPLAINED_FACTOR if c.explained_by else 1.0)
        base = noisy_or([own, symptom])
        if first is not None and _dated(c) is not None and base > 0:
            lag_min = max(0.0, (_dated(c) - first) / 60.0)
            base *= 0.9 + 0.1 * math.exp(-lag_min / 2.0)   # earlier onset: mild tie-breaker
        if reach is not None and c.service not in reach:
            base *= UNREACHED_FACTOR
        if not fits_alert(c.findings, alerted_symptom):
            base *= MISMATCH_FACTOR
        c.score = base
        c.findings.sort(key=lambda wf: (-wf[0], wf[1].kind, wf[1].signal))
        c.fault = fault_of(c.findings)
        comps = [f.component for _, f in c.findings if f.component]
        c.component = comps[0] if comps else ""
    # with no evidence, the strongest marginal anomaly first (for a single root cause the service
    # whose own marginal is most extreme is the likeliest: Orchard et al., 2024); never by name alone
    return sorted(cands.values(), key=lambda c: (-c.score, -c.marginal * _alerted_share(c.service, alerted),
                                                 c.onset if c.onset is not None else math.inf,
                                                 c.service))
