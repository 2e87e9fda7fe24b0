"""What the command modules share: the consoles and the option types.

An option that several commands take with the same help text is declared here once.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from cli.fit import WordConsole
from core import texts
from core.errors import UserError, did_you_mean

# emoji=False: a ":name:" in a strategy's reason or a path is text, not an emoji code
out = WordConsole(emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)

DataOpt = Annotated[str, typer.Option(
    "--data", "--source", help="bundled (default, offline), yahoo, or csv:DIR")]
FetchDataOpt = Annotated[str | None, typer.Option(
    "--data", "--source", help="the live source to download from (default: yahoo)")]
CacheOpt = Annotated[str | None, typer.Option(
    "--cache-dir",
    help="where live sources (Yahoo) cache downloads (default: $SMALLCAP_CACHE_DIR or the user "
         "cache dir)")]
OfflineOpt = Annotated[bool, typer.Option(
    "--offline", help="live sources (Yahoo): use the cache only, never the network")]
RootOpt = Annotated[str, typer.Option("--root", help="the runs folder")]
JsonOpt = Annotated[bool, typer.Option(
    "--json", help="print one JSON document instead of tables")]
SelfContainedOpt = Annotated[bool, typer.Option(
    "--self-contained", help="put plotly.js inside the page (4.9 MB) so it renders wherever it is "
                             "copied; default: one shared copy per runs folder")]
StrategyFileOpt = Annotated[str | None, typer.Option(
    "--strategy-file",
    help="a Python file of your own that registers strategies (see README: your own strategy)")]
RankByOpt = Annotated[str, typer.Option(
    help="metric to rank by: sharpe, sortino, cagr, calmar, max_drawdown (shallowest first), "
         "volatility (lowest first), ...")]

# one strategy run (backtest, signal, timing)
StrategyArg = Annotated[str | None, typer.Argument(
    help="strategy name (see `smallcap strategies`)")]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="strategy parameter key=value (repeatable)")]
ConfigOpt = Annotated[str | None, typer.Option(
    "--config", help="a RunConfig TOML file; options given here override it")]
MacroLagOpt = Annotated[int | None, typer.Option(help=texts.MACRO_LAG)]
FillOpt = Annotated[str | None, typer.Option(help=texts.FILL)]

# many variants (sweep, walkforward, timing)
ExperimentArg = Annotated[str | None, typer.Argument(help="experiment TOML (see examples/)")]
GridStrategyOpt = Annotated[str | None, typer.Option(
    help="quick grid without a file: the strategy")]
GridOpt = Annotated[list[str] | None, typer.Option(help="quick grid: key=v1,v2 (repeatable)")]
GridParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="quick grid: fixed parameter key=value")]
GridStartOpt = Annotated[str | None, typer.Option(help="quick grid: first measured session")]
GridEndOpt = Annotated[str | None, typer.Option(help="quick grid: last measured session")]
ExecutorOpt = Annotated[str, typer.Option(help="serial | process (all cores) | dask")]
WorkersOpt = Annotated[int | None, typer.Option(
    help="processes or Dask workers (default: all cores; never more than variants)")]
VariantTimeoutOpt = Annotated[float, typer.Option(
    "--timeout", help="seconds each variant's backtest may take; one over it fails with its own "
                      "line and the others go on (0: no limit)")]
#: ``--timeout`` of the studies (``engine.sweep.VARIANT_TIMEOUT``, here to keep start-up light).
VARIANT_TIMEOUT = 1800.0


def open_data_source(data: str, cache_dir: str | None, offline: bool):
    """The data source a --data option names."""
    from engine.data.sources import open_source

    return open_source(data, cache_dir=cache_dir, offline=offline)

# the run options of `backtest`, which `walkforward` and `timing` take too (over an experiment's
# [defaults]); None = not given
CashOpt = Annotated[float | None, typer.Option(help="starting cash (default 100000)")]
CostsOpt = Annotated[str | None, typer.Option(
    "--costs", help="default: realistic costs for liquid US ETFs and stocks (2 bps slippage per "
                    "side, no commission); none: frictionless. The cost options below override "
                    "single costs")]
CommissionBpsOpt = Annotated[float | None, typer.Option(
    help="commission in basis points of traded value (default 0)")]
CommissionPerShareOpt = Annotated[float | None, typer.Option(
    help="commission per share (default 0)")]
CommissionMinOpt = Annotated[float | None, typer.Option(
    help="minimum commission per order (default 0)")]
SlippageBpsOpt = Annotated[float | None, typer.Option(
    help="slippage per side, basis points of traded value, charged on every fill (default 2)")]
FractionalOpt = Annotated[bool | None, typer.Option(
    "--fractional/--whole-shares", help="allow fractional shares")]
CashBufferOpt = Annotated[float | None, typer.Option(
    help="fraction of equity kept in cash (default 0.01 with open fills)")]
BenchmarkOpt = Annotated[str | None, typer.Option(help="benchmark symbol (default SPY)")]
RiskFreeOpt = Annotated[float | None, typer.Option(
    help="constant annual risk-free rate, decimal (default: 3-month T-bill DTB3 per session)")]
RunDataOpt = Annotated[str | None, typer.Option(
    "--data", help="bundled (default), yahoo, or csv:DIR")]


def broker_fields(commission_bps: float | None = None, commission_per_share: float | None = None,
                  commission_min: float | None = None, slippage_bps: float | None = None,
                  fill: str | None = None, fractional: bool | None = None,
                  cash_buffer: float | None = None, costs: str | None = None) -> dict:
    """The broker options as ``BrokerConfig`` fields (None where not given). ``costs``: a
    ``--costs`` preset (``engine.config.COST_PRESETS``: default, none) setting every cost field
    the single options leave unset; an unknown one is a one-line UserError."""
    from engine.config import COST_PRESETS

    fields = {"commission_bps": commission_bps, "commission_per_share": commission_per_share,
              "commission_min": commission_min, "slippage_bps": slippage_bps, "fill": fill,
              "fractional": fractional, "cash_buffer": cash_buffer}
    if costs is not None:
        if costs not in COST_PRESETS:
            raise UserError(
                f"--costs '{costs}' is not a cost preset", did_you_mean(costs, COST_PRESETS)
            )
        fields.update({k: v for k, v in COST_PRESETS[costs].items() if fields[k] is None})
    return fields
