"""Checks: each a small class answering "keep, or drop with reason code" (see base.py)."""
