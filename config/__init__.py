"""The whole run config, every key typed and validated here: sources, severities, measures,
linkage and geographies. `check --config`, `reconcile` and `run` all go through `load_config`."""

from .loader import load_yaml
from .measures import default_measures, parse_measures
from .run import RunConfig, load_config, pd_date

__all__ = ["RunConfig", "default_measures", "load_config", "load_yaml", "parse_measures", "pd_date"]
