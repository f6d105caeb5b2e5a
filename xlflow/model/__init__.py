"""Typed records and the vocabulary users see: what is stored, computed and printed.

Below `merge/`, `phases/` and `report/`: every layer above speaks in these types.
"""
