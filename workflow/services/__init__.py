"""Domain operations: the one place where each rule is applied and each change is committed.

Views, the API and the CLI call these; none of them sets `state` or writes an event itself. What a
trigger does besides changing the state, and what a `tick` runs, is the table in workflow/effects.py.
"""
