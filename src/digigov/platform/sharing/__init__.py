"""Data sharing under approval (共享): requests, grants, masked and filtered serving, usage."""
