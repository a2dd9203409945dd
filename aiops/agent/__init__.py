"""The investigation: plan -> execute -> reflect, as a generator of events."""
