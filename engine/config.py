"""Run configuration: pydantic models with TOML load/save; invalid input becomes a one-line
UserError.

All fractions are decimals (0.01 = 1%), costs are in basis points (1 bp = 0.0001), money in the
account currency, dates are ISO dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from core import texts
from core.errors import UserError, did_you_mean
from core.symbols import Symbol
from engine.data.sources import normalize_source_spec
from strategies import RotationParams, get_strategy, load_strategy_file

#: Cash kept aside when orders fill at the next open (the open may gap above the signal close).
DEFAULT_OPEN_FILL_BUFFER = 0.01


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: Default slippage per side, basis points of traded value: the all-in cost of trading liquid US
#: ETFs and large stocks at this tool's sizes (see :class:`BrokerConfig`).
DEFAULT_SLIPPAGE_BPS = 2.0
#: Broker fields that cost money; ``--costs none`` sets every one of them to zero.
COST_FIELDS = ("commission_bps", "commission_per_share", "commission_min", "slippage_bps")
#: The cost presets of ``--costs``: ``default`` (realistic, the defaults below) and ``none``.
COST_PRESETS: dict[str, dict[str, float]] = {
    "default": {"commission_bps": 0.0, "commission_per_share": 0.0, "commission_min": 0.0,
                "slippage_bps": DEFAULT_SLIPPAGE_BPS},
    "none": dict.fromkeys(COST_FIELDS, 0.0),
}


class BrokerConfig(_Model):
    """Costs and fills. Defaults: realistic costs (2 bps slippage per side, no commission), whole
    shares, fill at the next session's open.

    Why 2 bps per side, all-in: the bundled rules trade liquid US ETFs (IWM, SPY, QQQ, SHY...) and
    mega-cap stocks in orders of about $100,000. What such an order pays is half the quoted spread
    plus its market impact. The quoted spread of these ETFs is one cent, today 0.2-0.5 bps of a
    $200-600 price (half of it paid per side), and it was 1-2.5 bps when IWM and SPY traded at
    $40-120 after decimalisation (2001); an order far below the displayed size at the touch and
    the opening auction's volume moves the price by a fraction of that. 2 bps per side covers the
    older, wider spreads of the bundled history; today's are lower. Commission is zero, as at most
    US retail brokers since October 2019 (Schwab, TD Ameritrade, E*Trade, Fidelity, Interactive
    Brokers' Lite plan). ``--costs none`` (:data:`COST_PRESETS`) gives frictionless runs;
    ``smallcap costs`` shows what any other level does to a rule.

    Slippage is charged as a cost on every fill, at ``slippage_bps`` of the traded value; the fill
    price stays the reference price (the fill session's open, or with close fills the decision
    session's close), so no bar's range can cancel it.
    """

    commission_bps: float = Field(
        0.0, ge=0, le=1000, description="commission, basis points of traded value"
    )
    commission_per_share: float = Field(
        0.0, ge=0, description="commission per share traded, currency"
    )
    commission_min: float = Field(0.0, ge=0, description="minimum commission per order, currency")
    slippage_bps: float = Field(
        DEFAULT_SLIPPAGE_BPS, ge=0, le=1000,
        description="slippage per side: half-spread plus impact, basis points of traded value, "
                    "charged on every fill (default 2)")
    fill: Literal["open", "close"] = Field("open", description=texts.FILL)
    fractional: bool = Field(False, description="allow fractional shares (default whole shares)")
    cash_buffer: float | None = Field(
        None,
        ge=0,
        lt=0.5,
        description=(
            "fraction of equity kept in cash; default 1% with open fills, 0 with close fills"
        ),
    )

    @property
    def cost_per_side_bps(self) -> float:
        """Slippage plus commission in bps of traded value (per-share and minimum fees aside)."""
        return self.slippage_bps + self.commission_bps

    @property
    def frictionless(self) -> bool:
        """True when no cost is charged (``--costs none``)."""
        return all(getattr(self, k) == 0 for k in COST_FIELDS)

    def describe_costs(self) -> str:
        """The costs in words, e.g. ``2 bps slippage per side, no commission`` (on results)."""
        if self.frictionless:
            return "no costs (frictionless)"
        slippage = f"{self.slippage_bps:g} bps slippage per side"
        parts = [slippage if self.slippage_bps else "no slippage"]
        fees = [f"{self.commission_bps:g} bps" if self.commission_bps else "",
                f"${self.commission_per_share:g}/share" if self.commission_per_share else "",
                f"min ${self.commission_min:g}/order" if self.commission_min else ""]
        fees = [f for f in fees if f]
        parts.append(f"commission {' + '.join(fees)}" if fees else "no commission")
        return ", ".join(parts)

    def describe_fill(self) -> str:
        """Fill timing in words: ``next-open fills`` or ``same-close fills``."""
        return "next-open fills" if self.fill == "open" else "same-close fills"

    def describe_fills(self) -> str:
        """How orders fill, in words, e.g. ``next-open fills, whole shares, 1% cash buffer``."""
        shares = "fractional shares" if self.fractional else "whole shares"
        return f"{self.describe_fill()}, {shares}, {self.effective_cash_buffer:.0%} cash buffer"

    def describe_trading(self) -> str:
        """Costs and fill timing in words, e.g. ``2 bps slippage per side, no commission;
        next-open fills`` (what must match for runs to be compared as like for like)."""
        return f"{self.describe_costs()}; {self.describe_fill()}"

    @property
    def effective_cash_buffer(self) -> float:
        """The buffer actually used: the configured one, else 1% for open fills and 0 for close
        fills."""
        if self.cash_buffer is not None:
            return self.cash_buffer
        return DEFAULT_OPEN_FILL_BUFFER if self.fill == "open" else 0.0


class DataConfig(_Model):
    """Where the data comes from: ``bundled`` (default), ``yahoo`` or ``csv:DIR``."""

    source: str = "bundled"
    cache_dir: str | None = None
    offline: bool = False

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        return normalize_source_spec(v)  # the one grammar: engine.data.sources
    macro_lag: int = Field(1, ge=0, le=5, description=texts.MACRO_LAG)


class RunConfig(_Model):
    """Everything that determines one backtest.

    ``params`` is validated once, on construction, into the strategy's typed ``Params`` model
    (defaults filled): pass a dict (values may be CLI strings) or a ``Params`` instance. Only
    ``to_dict``/``to_toml`` turn it back into plain values (for config.toml and hashing).
    """

    strategy: str = Field(description="registered strategy name, see `smallcap strategies`")
    strategy_file: str | None = Field(
        None, description="a user's Python file that registers the strategy"
    )
    params: SerializeAsAny[RotationParams] = Field(description="the strategy's parameters (typed)")
    benchmark: Symbol = Field("SPY", description="symbol whose total return is the benchmark")
    start: dt.date | None = Field(
        None, description="first session measured (default: first possible)"
    )
    end: dt.date | None = Field(
        None, description="last session measured (default: last in the data)"
    )
    cash: float = Field(100_000.0, gt=0, description="starting cash")
    risk_free: float | None = Field(
        None,
        ge=-0.05,
        le=0.25,
        description=(
            "constant annual risk-free rate as a decimal; default: the 3-month T-bill (bundled "
            "DTB3) known at each session, lagged by data.macro_lag"
        ),
    )
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    twin: dict[str, float] | None = Field(
        None,
        description=(
            "the no-rotation twin's weights, symbol -> fraction of equity (default: the strategy's "
            "static portfolio, see engine.twin)"
        ),
    )

    @field_validator("twin")
    @classmethod
    def _twin(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return None
        v = {k.strip().upper(): float(w) for k, w in v.items()}
        if not v or any(w < 0 for w in v.values()) or sum(v.values()) > 1 + 1e-9:
            raise ValueError("twin weights must be >= 0 and sum to at most 1, e.g. IWM=0.5,SPY=0.5")
        return v

    @model_validator(mode="before")
    @classmethod
    def _typed_params(cls, data: Any) -> Any:
        """Look the strategy up (loading ``strategy_file`` first) and validate its params once."""
        if not isinstance(data, dict) or not isinstance(data.get("strategy"), str):
            return data
        if data.get("strategy_file"):
            load_strategy_file(data["strategy_file"])
        spec = get_strategy(data["strategy"])
        if not isinstance(data.get("params") or {}, dict | RotationParams):
            raise ValueError(f"params must be a table of key = value, got {data['params']!r}")
        return {**data, "params": spec.validate_params(data.get("params") or {})}

    @model_validator(mode="after")
    def _dates(self) -> RunConfig:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON/TOML-ready dict (None values dropped, dates as ISO strings)."""
        doc = self.model_dump(mode="json", exclude_none=True)
        # TOML has no null
        doc["params"] = {k: v for k, v in doc.get("params", {}).items() if v is not None}
        return doc

    def param_values(self) -> dict[str, Any]:
        """The parameters as plain JSON values (what config.toml stores), None values dropped."""
        return self.to_dict()["params"]

    def short_hash(self) -> str:
        """8 hex digits identifying this (resolved) configuration."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def to_toml(self) -> str:
        """The configuration as TOML text."""
        return tomli_w.dumps(self.to_dict())


def format_validation_error(exc: ValidationError, what: str) -> UserError:
    """The first pydantic error as one line: field path, message, and a hint."""
    e = exc.errors()[0]
    loc = ".".join(str(p) for p in e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if not loc:
        return UserError(f"invalid {what}: {msg}", "check the dates and options")
    if e["type"] == "extra_forbidden":
        field = str(e["loc"][-1])
        model = exc.title
        models: dict[str, type[BaseModel]] = {"RunConfig": RunConfig, "BrokerConfig": BrokerConfig,
                                              "DataConfig": DataConfig}
        fields = models.get(model)
        hint = did_you_mean(field, fields.model_fields) if fields else "remove it"
        return UserError(f"unknown {what} key '{loc}'", hint)
    got = e.get("input")
    shown = f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""
    return UserError(
        f"invalid {what}: {loc}: {msg}{shown}",
        "see `smallcap backtest --help` for units and bounds",
    )


def make_run_config(**fields: Any) -> RunConfig:
    """Build a RunConfig from keyword fields; validation problems become a UserError."""
    try:
        return RunConfig(**fields)
    except ValidationError as exc:
        raise format_validation_error(exc, "run config") from None


def read_toml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """The parsed TOML document at ``path``; a missing or malformed file is a one-line UserError."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(
            f"{what} '{path}' not found", "check the path (examples/ has samples)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}", "check quotes and brackets") from None
    except UnicodeDecodeError:
        raise UserError(
            f"{path}: not a text file", "pass a TOML file (examples/ has samples)"
        ) from None
    except OSError as exc:
        raise UserError(
            f"{what} '{path}' cannot be read: {exc.strerror or exc}",
            "pass a TOML file (examples/ has samples)",
        ) from None


def load_run_config(path: str | Path) -> RunConfig:
    """Read a RunConfig from a TOML file (the same layout ``config.toml`` of a run uses)."""
    return make_run_config(**read_toml(path))
