"""Stage 3: raw frames become canonical death records (one row per death, the same columns for
every source) and published rows get their period, geography and level. The registry of source
kinds (`registry.py`) is the one place that says how each kind is read, checked and mapped."""
