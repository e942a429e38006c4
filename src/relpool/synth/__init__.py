"""Synthetic relational databases with a controlled signal-to-noise ratio and a known best score."""

from relpool.synth.build import generate
from relpool.synth.spec import QUERY, SynthSpec

__all__ = ["QUERY", "SynthSpec", "generate"]
