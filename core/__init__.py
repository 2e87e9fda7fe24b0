"""The small core every layer may use: the user-error type, the NYSE calendar, symbol types.

It imports nothing of this project and no heavy library at import time.
"""
