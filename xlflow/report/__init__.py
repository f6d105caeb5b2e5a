"""Consolidated outputs written from merged, reconciled tables."""
