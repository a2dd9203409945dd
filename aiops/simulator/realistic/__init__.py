"""The `realistic` simulator profile: incidents shaped like public fault-injection data, only harder.

    simulate_realistic("cpu_contention", seed=7)                      # one case, in memory
    generate_realistic_corpus("out/real", cases=60, seed=101)          # an evaluation corpus

Minute scrapes with a short stretch before a late alert, spans and logs from under a
minute before it, modalities missing, histograms instead of percentiles, metric and
service names that change from case to case, busy services that move on their own, and
faults that show in one modality only. The classic profile (`aiops.simulator`) is unchanged.
"""

from aiops.simulator.realistic.faults import REALISTIC_FAULTS, REALISTIC_KINDS
from aiops.simulator.realistic.simulate import (
    generate_realistic_bundle,
    generate_realistic_corpus,
    realistic_corpus_plan,
    simulate_realistic,
    write_realistic,
)
from aiops.simulator.realistic.timeline import STYLES

__all__ = ["REALISTIC_FAULTS", "REALISTIC_KINDS", "STYLES", "generate_realistic_bundle", "generate_realistic_corpus",
           "realistic_corpus_plan", "simulate_realistic", "write_realistic"]
