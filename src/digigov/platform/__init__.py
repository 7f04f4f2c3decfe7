"""The "1": the integrated public data platform, one subpackage per capability."""
