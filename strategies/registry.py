"""Strategy registry: name -> class, with each parameter's type, default, unit, bounds and meaning.

The CLI validates ``--param key=value`` here (with did-you-mean for names) and ``smallcap
strategies`` prints the schema. Strategies register with the :func:`register` decorator.
"""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError

from engine.errors import UserError, did_you_mean
from strategies.base import RotationParams, RotationStrategy

_REGISTRY: dict[str, type[RotationStrategy]] = {}


def register(cls: type[RotationStrategy]) -> type[RotationStrategy]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    if not cls.name or cls.name in _REGISTRY:
        raise ValueError(f"strategy name missing or taken: {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


#: modules whose import registers strategies (one module per family)
STRATEGY_MODULES = ("benchmark", "momentum", "streak", "rates", "relative_value", "composite")


def _load_all() -> None:
    from importlib import import_module

    for module in STRATEGY_MODULES:
        import_module(f"strategies.{module}")


@dataclass(frozen=True)
class ParamInfo:
    """One parameter as `smallcap strategies NAME` shows it."""

    name: str
    type: str
    default: Any
    unit: str
    bounds: str
    meaning: str


@dataclass(frozen=True)
class StrategySpec:
    """A registered strategy: class, parameter model and documentation."""

    name: str
    cls: type[RotationStrategy]

    @property
    def summary(self) -> str:
        return self.cls.summary

    @property
    def thesis(self) -> str:
        """The class docstring with each paragraph on one line (the terminal wraps it)."""
        paragraphs = inspect.cleandoc(self.cls.__doc__ or "").split("\n\n")
        return "\n\n".join(" ".join(p.split()) for p in paragraphs)

    def defaults(self) -> RotationParams:
        return self.cls.Params()

    def params(self) -> list[ParamInfo]:
        out = []
        for key, f in self.cls.Params.model_fields.items():
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            bounds = []
            for m in f.metadata:
                for attr, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                    if getattr(m, attr, None) is not None:
                        bounds.append(f"{op} {getattr(m, attr)}")
            tname = _type_name(f.annotation)
            out.append(ParamInfo(key, tname, f.get_default(call_default_factory=True), str(extra.get("unit", "")),
                                 ", ".join(bounds), f.description or ""))
        return out

    def validate_params(self, raw: dict[str, Any]) -> RotationParams:
        """Validated parameters (defaults filled); a UserError names the bad key and the fix."""
        fields = self.cls.Params.model_fields
        for key in raw:
            if key not in fields:
                raise UserError(f"strategy '{self.name}' has no parameter '{key}'", did_you_mean(key, fields))
        try:
            params = self.cls.Params(**{k: _coerce(v, fields[k].annotation) for k, v in raw.items()})
        except ValidationError as exc:
            e = exc.errors()[0]
            key = ".".join(str(p) for p in e["loc"]) or self.name
            msg = e["msg"].removeprefix("Value error, ")
            got = raw.get(str(e["loc"][0])) if e["loc"] else None
            info = next((p for p in self.params() if p.name == str(e["loc"][0])), None) if e["loc"] else None
            hint = f"{info.name}: {info.type}{' ' + info.bounds if info.bounds else ''}, {info.meaning}" if info else \
                f"see `smallcap strategies {self.name}`"
            raise UserError(f"strategy '{self.name}' parameter {key}: {msg} (got {got!r})", hint) from None
        return params


def _type_name(annotation: Any) -> str:
    """``int``, ``str | None``, ``list[str]``, ``daily|weekly|...`` (Annotated metadata dropped)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return "|".join(str(a) for a in args)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    return "None" if annotation is type(None) else getattr(annotation, "__name__", str(annotation))


def _coerce(value: Any, annotation: Any) -> Any:
    """CLI strings for list/dict parameters: ``IWM,SPY`` -> list; ``IWM:0.6,SPY:0.4`` -> dict."""
    if not isinstance(value, str):
        return value
    text = str(annotation)
    if text.startswith("dict"):
        pairs = [p for p in value.split(",") if p.strip()]
        try:
            return {k.strip().upper(): float(v) for k, v in (p.split(":") for p in pairs)}
        except ValueError:
            return value  # let pydantic report it
    if text.startswith("list"):
        return [p.strip().upper() for p in value.split(",") if p.strip()]
    if value.strip().lower() in ("none", "null", "") and "None" in text:
        return None
    return value


def get_strategy(name: str) -> StrategySpec:
    """The registered strategy ``name``; a UserError with a suggestion if there is none."""
    _load_all()
    if name not in _REGISTRY:
        raise UserError(f"unknown strategy '{name}'", did_you_mean(name, _REGISTRY))
    return StrategySpec(name, _REGISTRY[name])


def all_strategies() -> list[StrategySpec]:
    """Every registered strategy, in name order."""
    _load_all()
    return [StrategySpec(n, c) for n, c in sorted(_REGISTRY.items())]
