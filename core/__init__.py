"""The small core every layer may use: the user-error type, the NYSE calendar, symbol types.

It imports nothing of this project and no heavy library at import time.
"""

#: This project's version (``engine.__version__``, the manifest, the cache keys); keep it equal to
#: ``version`` in pyproject.toml (``tests/test_cache_policy.py`` checks).
__version__ = "0.1.0"
