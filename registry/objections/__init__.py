"""Objections (异议): the one procedure by which the subject of a record objects to it and a regulator answers
(`core.py`), and what the handlers of every kind share (`handlers.py`).

Three kinds use them, each in its own domain, which keeps its public functions and its own decisions (who may
object, who decides, what an upheld objection does): sanctions (`sanctions/objections.py`), substantiated
complaints (`complaints/objections.py`) and reviews (`trace/review_objections.py`). States, steps and deadlines
are the pure `sanctions/objection_rules.py`.
"""
