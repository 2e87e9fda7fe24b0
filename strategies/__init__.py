"""Rotation strategies: one module per family, each a backtrader Strategy."""
