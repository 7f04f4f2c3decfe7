"""数字法治 (rule of law): the applications of the digital rule-of-law system."""
