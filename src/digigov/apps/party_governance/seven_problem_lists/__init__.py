"""七张问题清单 (the Seven Problem Lists): major problems from seven sources rectified to closure, accepted,
evaluated and reviewed months later, with the analysis across all lists and a quarterly report."""
