"""Where this tool keeps caches: ``$SMALLCAP_CACHE_DIR`` if set, else the user's cache folder."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that moves every cache (Yahoo prices, the NYSE session table).
CACHE_ENV = "SMALLCAP_CACHE_DIR"


def user_cache_dir() -> Path:
    """``$SMALLCAP_CACHE_DIR`` if set, else the platform's user cache folder for this tool."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("smallcap-rotation"))
