"""Types shared by configs and strategy parameters."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

#: A ticker or series name as configs hold it: stripped and upper-case (``iwm `` -> ``IWM``).
Symbol = Annotated[str, AfterValidator(lambda v: v.strip().upper())]
