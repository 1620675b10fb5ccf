"""Pure domain rules (no database, no Flask): quorum and majority, deadlines, formatting of money.

Like the lifecycle, these sit below the models, so that a model's guard and a service apply the same
rule from the same place.
"""
