"""digigov: the integrated public data platform of Zhejiang's "152" digital reform."""

__version__ = "0.1.0"
