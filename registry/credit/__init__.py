"""Credit scores (信用积分): the versioned rules (`rules.py`, `versions/`) and the pure scoring (`scoring.py`).

Nothing is registered yet: no models, no routes. See docs/rules.md, "Credit scores (信用积分)".
"""
