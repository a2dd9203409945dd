"""Incident simulator: realistic incident bundles from a microservice topology and a fault.

    generate_bundle("memory_leak", seed=7, out_dir="out/leak")      # one bundle
    generate_corpus("out/corpus", cases=60, seed=1)                  # an evaluation corpus
    SCENARIOS                                                        # scenario names

Only the simulator writes `truth.toml`; nothing that ranks root causes may read it.
"""

from aiops.simulator.bundle import generate_bundle, generate_corpus, simulate, write_incident
from aiops.simulator.faults import FAULT_KINDS
from aiops.simulator.scenarios import SCENARIO_SPECS, SCENARIOS
from aiops.simulator.topologies import TOPOLOGY_NAMES

__all__ = ["generate_bundle", "generate_corpus", "simulate", "write_incident", "SCENARIOS", "SCENARIO_SPECS",
           "FAULT_KINDS", "TOPOLOGY_NAMES"]
