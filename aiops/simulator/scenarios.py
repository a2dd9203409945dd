"""Named scenarios: a fault kind plus how to pick its target, and the seeded fault plan."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiops.errors import BadInputError
from aiops.simulator import naming
from aiops.simulator.faults import FAULT_KINDS, FaultPlan
from aiops.simulator.topology import Topology


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str
    description: str
    targets: dict[str, str] = field(default_factory=dict)      # topology name -> service (curated scenarios)
    severities: tuple[str, ...] = ("mild", "moderate", "moderate", "severe", "severe")
    full_signals: bool = False                                # every signal present (no missing files)


_CURATED = [
    Scenario("checkout-pool-exhaustion", "connection_pool_exhaustion",
             "a connection leak in a backend behind checkout exhausts its database pool; the alert fires on "
             "the frontend while checkout looks loudest",
             {"webshop": "inventory", "trainticket": "ts-order-service"}, ("moderate", "severe"), True),
    Scenario("slow-database", "latency_injection", "the main database answers slowly; every client slows down",
             {"webshop": "postgres", "trainticket": "ts-order-mongo"}, ("moderate", "severe")),
    Scenario("cache-outage", "dependency_down", "the cache or a small database goes away; its clients fail fast",
             {"webshop": "redis", "trainticket": "ts-station-mongo"}, ("moderate", "severe")),
    Scenario("payment-bad-deploy", "bad_deploy", "a new payment version rolls out and fails a share of charges",
             {"webshop": "payment", "trainticket": "ts-payment-service"}, ("moderate", "severe")),
]

SCENARIO_SPECS: dict[str, Scenario] = {
    **{k: Scenario(k, k, f.description) for k, f in FAULT_KINDS.items()},
    **{s.name: s for s in _CURATED},
}
SCENARIOS: tuple[str, ...] = tuple(SCENARIO_SPECS)


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIO_SPECS[name]
    except KeyError:
        raise BadInputError(f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}") from None


SEVERITIES = ("mild", "moderate", "severe")


def plan_fault(scenario: Scenario, topology: Topology, seed: int, n_steps: int,
               target: str | None = None, severity: str | None = None) -> FaultPlan:
    """Pick the target, affected pods, onset and severity for `scenario`, reproducibly from `seed`."""
    rng = naming.stream(seed, f"plan:{scenario.name}")
    kind = FAULT_KINDS[scenario.kind]
    candidates = kind.targets(topology)
    service = target or scenario.targets.get(topology.name)
    if target is not None and target not in candidates:
        raise BadInputError(f"--target {target!r}: {scenario.kind} can hit {', '.join(candidates)}")
    if not service:
        service = str(candidates[int(rng.integers(0, len(candidates)))])
    spec = topology.services[service]
    if kind.whole_service or spec.replicas == 1 or rng.random() < 0.25:
        slots = tuple(range(spec.replicas))
    else:
        slots = (int(rng.integers(0, spec.replicas)),)
    onset = int(n_steps * rng.uniform(0.5, 0.72))
    drawn = str(scenario.severities[int(rng.integers(0, len(scenario.severities)))])
    if severity is not None and severity not in SEVERITIES:
        raise BadInputError(f"--severity {severity!r}: choose one of {', '.join(SEVERITIES)}")
    severity = severity or drawn
    return FaultPlan(scenario.kind, service, slots, onset, severity, float(rng.random()))
