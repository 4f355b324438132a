"""Marshmallow schemas: input `…Args` (unknown fields rejected), output per audience."""
