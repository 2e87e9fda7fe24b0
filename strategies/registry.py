"""Strategy registry: name -> class, with each parameter's type, default, unit, bounds and meaning.

Parameters are validated here once (with did-you-mean for names) into the strategy's typed
``Params`` model, and ``smallcap strategies`` prints the schema. Strategies register with the
:func:`register` decorator and are found in three places, without a list to edit:

* every module of the ``strategies.builtin`` package;
* installed packages declaring an entry point in the group ``smallcap.strategies`` (the entry
  point names a module to import, or a ``RotationStrategy`` subclass);
* a user's own file, loaded with :func:`load_strategy_file` (``--strategy-file my_rotation.py``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import pkgutil
import sys
import types
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import ValidationError

import strategies.builtin as builtin_package
from core.errors import UserError, did_you_mean
from core.user_code import describe, really_interrupted, user_frame
from strategies.base import RotationParams, RotationStrategy

_REGISTRY: dict[str, type[RotationStrategy]] = {}
_ORIGIN: dict[str, str] = {}  # name -> module it came from, for clash messages

# module names of users' strategy files (a newer file may replace one)
_USER_PREFIX = "smallcap_user_"

#: Entry-point group through which installed packages add strategies.
ENTRY_POINT_GROUP = "smallcap.strategies"


StrategyClass = TypeVar("StrategyClass", bound=type[RotationStrategy])


def register(cls: StrategyClass) -> StrategyClass:
    """Class decorator: make ``cls`` available under ``cls.name`` (a unique, non-empty name)."""
    if not (isinstance(cls, type) and issubclass(cls, RotationStrategy)):
        raise TypeError(f"@register expects a RotationStrategy subclass, got {cls!r}")
    origin = getattr(cls, "__module__", "?")
    if not cls.name:
        raise UserError(f"strategy class {cls.__name__} in {origin} has no `name`",
                        "set a class attribute, e.g. name = 'my_rotation'")
    replaces_a_user_file = origin.startswith(_USER_PREFIX) and _ORIGIN.get(cls.name, "").startswith(
        _USER_PREFIX
    )
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls and not replaces_a_user_file:
        raise UserError(f"strategy name '{cls.name}' is taken (by {_ORIGIN[cls.name]})",
                        "give your strategy class another `name`")
    _REGISTRY[cls.name] = cls
    _ORIGIN[cls.name] = origin
    return cls


@cache
def _load_all() -> None:
    """Import every built-in module, then every ``smallcap.strategies`` entry point (once)."""
    for module in pkgutil.iter_modules(builtin_package.__path__):
        import_module(f"{builtin_package.__name__}.{module.name}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # a broken plug-in: one line
            if isinstance(exc, KeyboardInterrupt) and really_interrupted():
                raise
            raise UserError(
                f"strategy plug-in '{ep.name}' ({ep.value}) failed to load: {describe(exc)}",
                f"fix or uninstall the package that declares it in '{ENTRY_POINT_GROUP}'",
            ) from None
        if isinstance(loaded, type) and issubclass(loaded, RotationStrategy):
            register(loaded)


_FILES: dict[Path, list[str]] = {}


def load_strategy_file(path: str | Path) -> list[str]:
    """Import a user's Python file so its ``@register`` classes join the registry; their names.

    Loading the same file twice is a no-op. A missing file, a syntax or import error, or a file
    that registers nothing is a one-line :class:`UserError`.
    """
    _load_all()
    path = Path(path).expanduser().resolve()
    if path in _FILES:
        return _FILES[path]
    if not path.is_file() or path.suffix != ".py":
        raise UserError(
            f"strategy file '{path}' is not a .py file", "pass the path of your strategy module"
        )
    module_name = f"{_USER_PREFIX}{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # no importer claims the file
        raise UserError(f"strategy file '{path}' cannot be imported", "pass a plain .py module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # classes pickle by reference: the module must be findable
    try:
        spec.loader.exec_module(module)
    except UserError:
        sys.modules.pop(module_name, None)
        raise
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise UserError(
            f"{path.name} line {exc.lineno}: {exc.msg}", "fix the Python syntax"
        ) from None
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the user's code: one line
        sys.modules.pop(module_name, None)
        if isinstance(exc, KeyboardInterrupt) and really_interrupted():
            raise
        where = user_frame(exc.__traceback__)
        raise UserError(
            f"{path.name} failed to import: {describe(exc)}" + (f" at {where}" if where else ""),
            f"run `python {path}` to see the full error",
        ) from None
    names = sorted(n for n, origin in _ORIGIN.items() if origin == module_name)
    if not names:
        raise UserError(
            f"{path.name} registers no strategy",
            "decorate a RotationStrategy subclass with @register (from strategies import register)",
        )
    _FILES[path] = names
    return names


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
            out.append(
                ParamInfo(
                    key,
                    tname,
                    f.get_default(call_default_factory=True),
                    str(extra.get("unit", "")),
                    ", ".join(bounds),
                    f.description or "",
                )
            )
        return out

    def validate_params(self, raw: dict[str, Any] | RotationParams) -> RotationParams:
        """Validated parameters (defaults filled); a UserError names the bad key and the fix.

        ``raw``: parameter name -> value, where values may be CLI strings (``63``, ``IWM,SPY``,
        ``IWM:0.6,SPY:0.4``, a TOML inline table ``{IWM=0.6,SPY=0.4}`` or a JSON object); an
        instance of this strategy's ``Params`` passes through unchanged.
        """
        if isinstance(raw, self.cls.Params):
            return raw
        if isinstance(raw, RotationParams):
            raw = raw.model_dump(exclude_unset=True)
        fields = self.cls.Params.model_fields
        for key in raw:
            if key not in fields:
                raise UserError(
                    f"strategy '{self.name}' has no parameter '{key}'", did_you_mean(key, fields)
                )
        try:
            params = self.cls.Params(
                **{k: _coerce(v, fields[k].annotation) for k, v in raw.items()}
            )
        except ValidationError as exc:
            e = exc.errors()[0]
            msg = e["msg"].removeprefix("Value error, ")
            if not e["loc"]:  # a rule across parameters (top_n and assets): no single value to show
                given = ", ".join(f"{k}={v}" for k, v in raw.items()) or "the defaults"
                raise UserError(
                    f"strategy '{self.name}': {msg} (given: {given})",
                    f"see `smallcap strategies {self.name}`",
                ) from None
            key = ".".join(str(p) for p in e["loc"])
            got = raw.get(str(e["loc"][0])) if e["loc"] else None
            info = (
                next((p for p in self.params() if p.name == str(e["loc"][0])), None)
                if e["loc"]
                else None
            )
            hint = (
                f"{info.name}: {info.type}{' ' + info.bounds if info.bounds else ''}, "
                f"{info.meaning}"
                if info
                else f"see `smallcap strategies {self.name}`"
            )
            raise UserError(
                f"strategy '{self.name}' parameter {key}: {msg} (got {got!r})", hint
            ) from None
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
        if value.strip().startswith("{"):
            return _inline_table(value)
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


def _inline_table(value: str) -> Any:
    """A TOML inline table (``{IWM=0.6,SPY=0.4}``) or a JSON object (``{"IWM": 0.6}``) as a dict
    with upper-case symbols; the text itself when it is neither (pydantic then reports it)."""
    import json
    import tomllib

    for parse in (lambda v: tomllib.loads(f"value = {v}")["value"], json.loads):
        try:
            table = parse(value.strip())
        except (ValueError, KeyError):
            continue
        if isinstance(table, dict):
            return {str(k).strip().upper(): w for k, w in table.items()}
    return value


def get_strategy(name: str) -> StrategySpec:
    """The registered strategy ``name``, tools such as ``replay_targets`` included (the engine
    runs and reloads what the tools wrote); a UserError suggesting a listed name if there is
    none. What a user names goes through :func:`user_strategy` instead."""
    _load_all()
    if name not in _REGISTRY:
        raise _unknown(name)
    return StrategySpec(name, _REGISTRY[name])


def user_strategy(name: str) -> StrategySpec:
    """The strategy a user names on the command line or in a config or experiment file: a
    listed one. Tools such as ``replay_targets`` are unknown here, as any unregistered name."""
    _load_all()
    if name not in _REGISTRY or not _REGISTRY[name].listed:
        raise _unknown(name)
    return StrategySpec(name, _REGISTRY[name])


def _unknown(name: str) -> UserError:
    listed = [n for n, c in _REGISTRY.items() if c.listed]
    return UserError(f"unknown strategy '{name}'", did_you_mean(name, listed))


def all_strategies(include_unlisted: bool = False) -> list[StrategySpec]:
    """Every registered rotation strategy, in name order (tools such as ``replay_targets`` only
    with ``include_unlisted``)."""
    _load_all()
    return [
        StrategySpec(n, c) for n, c in sorted(_REGISTRY.items()) if include_unlisted or c.listed
    ]
