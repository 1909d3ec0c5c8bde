"""sqlcurate: curate company SQL knowledge into nanochat fine-tuning data."""

__version__ = "0.1.0"
