"""The rules: given a call that produced a resource and where it sits, the findings."""
