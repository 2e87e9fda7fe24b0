"""Option meanings written once and shown both in ``--help`` and in config schemas."""

FILL = (
    "open: decided at the close of t, filled at the open of t+1 (default); "
    "close: filled at the close of t"
)
MACRO_LAG = (
    "sessions after its date that a FRED value (DGS2...) is usable: 1 (default: FRED publishes "
    "after the equity close) or 0 (at the close it is dated)"
)
