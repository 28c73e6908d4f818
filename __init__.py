"""Triangulate: validate and reconcile England's child-death data (DfE, NCMD, CSPRP)."""

__version__ = "0.1.0"
