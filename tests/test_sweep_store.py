"""The columnar store of a sweep (engine.sweep_store): written by the driver as variants finish,
equal to the run folders it is derived from, rebuilt when missing or stale, completed after a
driver killed mid-sweep, and read by the statistics with the numbers the folders give."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import sweep_store
from engine.sweep import Experiment, VariantSpec, expand, run_sweep
from engine.sweep_store import open_store

SHORT = {"start": "2016-01-04", "end": "2017-12-29"}


def _variants(lookbacks=(63, 126), top_n=(1, 2)):
    grid = {"lookback": list(lookbacks), "top_n": list(top_n)}
    return expand(
        Experiment(
            name="t",
            defaults=SHORT,
            variants=[VariantSpec(strategy="relative_momentum", grid=grid)],
        )
    )


def store_frames(out: Path, refresh: bool = True) -> dict[str, pd.DataFrame]:
    """The store's three frames (the fingerprint column aside: file times differ between sweeps)."""
    store = open_store(out, refresh=refresh)
    return {
        "returns": store.returns(),
        "metrics": store.metrics().drop(columns="fingerprint"),
        "params": store.params(),
    }


def assert_same_store(a: Path, b: Path) -> None:
    """The stores of the sweeps ``a`` and ``b`` hold equal frames (as written, not refreshed)."""
    fa, fb = store_frames(a, refresh=False), store_frames(b, refresh=False)
    for key in fa:
        pd.testing.assert_frame_equal(fa[key], fb[key], check_exact=True, obj=key)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """Four short variants and a twin, run serially; their store as the driver wrote it."""
    variants = _variants()
    out = tmp_path_factory.mktemp("sweep")
    result = run_sweep(variants, out, executor="serial")
    assert [r["status"] for r in result.rows] == ["done"] * 4
    return variants, out


def test_the_store_holds_every_variants_returns_metrics_and_parameters(swept):
    variants, out = swept
    store = open_store(out, refresh=False)
    assert store.ids == sorted(v.id for v in variants)
    returns, metrics, params = store.returns(), store.metrics(), store.params()
    table = pd.read_csv(out / "sweep.csv").sort_values("id").reset_index(drop=True)
    for col in table.columns:  # the sweep.csv columns, equal value for value
        got = (
            metrics[col].replace("", np.nan)
            if pd.api.types.is_string_dtype(metrics[col])
            else metrics[col]
        )
        pd.testing.assert_series_equal(got, table[col], check_dtype=False, obj=col)
    for v in variants:
        saved = pd.read_csv(
            out / "variants" / v.id / "returns.csv", index_col="date", parse_dates=True
        )
        row = metrics.set_index("id").loc[v.id]
        assert returns[v.id].dropna().to_numpy().tolist() == saved["strategy"].tolist()
        assert (
            returns[row["benchmark_ref"]].loc[saved.index].tolist() == saved["benchmark"].tolist()
        )
        assert returns[row["twin_ref"]].loc[saved.index].tolist() == saved["twin"].tolist()
        assert (
            json.loads(row["twin_weights"])
            == json.loads((out / "variants" / v.id / "metrics.json").read_text())["twin_weights"]
        )
        p = params.set_index("id").loc[v.id]
        assert (p["lookback"], p["top_n"]) == (v.config.params.lookback, v.config.params.top_n)
    # one benchmark and one twin shared by the four variants: stored once each
    assert [c for c in returns.columns if ":" in c] == sorted(
        {*metrics["benchmark_ref"], *metrics["twin_ref"]}
    )
    assert len([c for c in returns.columns if ":" in c]) == 2
    # compacted at the end of the sweep: one base, no parts, nothing hidden left
    folder = out / "store"
    assert len(list(folder.glob("base-*"))) == 1 and not list((folder / "parts").iterdir())


def test_a_missing_store_is_rebuilt_equal_from_the_folders(swept, tmp_path):
    _, out = swept
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shutil.rmtree(copy / "store")
    rebuilt = store_frames(copy)
    written = store_frames(out, refresh=False)
    for key in written:
        pd.testing.assert_frame_equal(rebuilt[key], written[key], check_exact=True, obj=key)


def test_a_stale_store_is_rebuilt_removed_and_rewritten_variants_included(swept, tmp_path):
    variants, out = swept
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    gone, changed = variants[0].id, variants[1].id
    path = copy / "variants" / changed / "returns.csv"
    lines = path.read_text().splitlines()
    date, strategy, *rest = lines[5].split(",")
    lines[5] = ",".join([date, "0.125", *rest])  # rewritten: the store must show the new number
    path.write_text("\n".join(lines) + "\n")
    assert open_store(copy).returns()[changed].loc[date] == 0.125
    shutil.rmtree(copy / "variants" / gone)  # removed: its id must leave the store
    store = open_store(copy)
    assert store.ids == sorted(v.id for v in variants[1:])
    assert store.returns()[changed].loc[date] == 0.125 and gone not in store.returns()
    assert open_store(copy).stale() == (False, [])


def test_the_returns_are_a_mapped_file_and_a_store_of_another_format_is_rebuilt(swept, tmp_path):
    """The returns are an Arrow IPC file, read memory-mapped; a store written in another layout
    (the Parquet returns of format 2) is rebuilt from the folders with the same numbers."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    variants, out = swept
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (base,) = [p for p in (copy / "store").glob("base-*")]
    assert (base / "series.arrow").is_file() and not (base / "series.parquet").exists()
    expected = open_store(copy).returns()
    # the layout of format 2: the returns in Parquet
    table = pa.ipc.open_file(pa.memory_map(str(base / "series.arrow"))).read_all()
    pq.write_table(table, base / "series.parquet")
    (base / "series.arrow").unlink()
    doc = json.loads((base / "store.json").read_text())
    (base / "store.json").write_text(json.dumps({**doc, "format": 2}))
    store = open_store(copy)
    pd.testing.assert_frame_equal(store.returns(), expected)
    (rebuilt,) = [p for p in (copy / "store").glob("base-*")]
    assert rebuilt != base and (rebuilt / "series.arrow").is_file()


def test_the_driver_writes_parts_while_the_sweep_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_store, "BATCH", 2)
    parts_seen = []

    def on_result(row):
        parts = tmp_path / "s" / "store" / "parts"
        parts_seen.append(
            len([p for p in parts.iterdir() if not p.name.startswith(".")]) if parts.exists() else 0
        )

    run_sweep(
        _variants(lookbacks=(21, 42, 63)), tmp_path / "s", executor="serial", on_result=on_result
    )
    assert parts_seen[:4] == [0, 1, 1, 2]  # a part per 2 finished variants, before the sweep ends


KILLED = """
import os, sys
from engine import sweep_store
from engine.sweep import Experiment, VariantSpec, expand, run_sweep
sweep_store.BATCH = 2
grid = {"lookback": [21, 42, 63, 84, 105], "top_n": [1]}
exp = Experiment(name="t", defaults={"start": "2016-01-04", "end": "2017-12-29"},
                 variants=[VariantSpec(strategy="relative_momentum", grid=grid)])
finished = []
def on_result(row):
    finished.append(row)
    if len(finished) == 3:
        os._exit(9)  # the driver dies at once: no finally, its third variant not in the store
run_sweep(expand(exp), sys.argv[1], executor="serial", on_result=on_result)
"""


def test_a_killed_driver_leaves_whole_parts_and_resume_completes_the_store(tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.run(
        [sys.executable, "-c", KILLED, str(out)],
        capture_output=True,
        text=True,
        cwd=os.getcwd(),
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert proc.returncode == 9, proc.stderr
    parts = [p for p in (out / "store" / "parts").iterdir()]
    assert [p.name.startswith(".") for p in parts] == [False]  # one whole part: two variants
    assert len(open_store(out, refresh=False).ids) == 2
    variants = _variants(lookbacks=(21, 42, 63, 84, 105), top_n=(1,))
    result = run_sweep(variants, out, executor="serial", resume=True)
    assert result.skipped == 3
    assert open_store(out, refresh=False).ids == sorted(v.id for v in variants)
    fresh = tmp_path / "fresh"
    run_sweep(variants, fresh, executor="serial")
    assert_same_store(out, fresh)


def test_statistics_from_the_store_equal_those_from_the_folders(swept):
    from research.luck import LuckSettings, luck_from_runs
    from research.store_luck import luck_from_store

    variants, out = swept
    settings = LuckSettings(reps=60, test_reps=40, blocks=8)
    folders = luck_from_runs([out / "variants" / v.id for v in variants], settings).to_dict()
    stored = luck_from_store(open_store(out), settings=settings).to_dict()
    assert json.dumps(stored, sort_keys=True, default=float) == json.dumps(
        folders, sort_keys=True, default=float
    )
    assert stored["n_trials"] == 4 and stored["variants"][variants[0].id]["sharpe_ci"]


def test_the_page_from_the_store_is_the_page_from_the_folders(swept, tmp_path):
    from reports.compare import comparison_data, render_comparison
    from reports.store_compare import store_comparison_data

    variants, out = swept
    ids = [v.id for v in variants]
    folders = comparison_data([out / "variants" / i for i in ids], "cagr")
    stored = store_comparison_data(open_store(out), ids, "cagr")
    assert stored.labels == folders.labels
    pd.testing.assert_frame_equal(stored.holdings, folders.holdings, check_exact=True)
    assert render_comparison(stored, tmp_path) == render_comparison(folders, tmp_path)


def test_compare_takes_a_sweep_folder_and_reads_its_store(swept, tmp_path, cli):
    from research.luck import luck_from_runs

    variants, out = swept
    shutil.rmtree(tmp_path / "copy", ignore_errors=True)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shutil.rmtree(copy / "store")  # missing: compare rebuilds it from the folders
    r = cli("compare", str(copy), "--out", str(tmp_path / "page"), "--json")
    assert r.code == 0, r.stderr
    assert (copy / "store").is_dir() and len(open_store(copy, refresh=False).ids) == len(variants)
    stats = json.loads((tmp_path / "page" / "stats.json").read_text())
    folders = luck_from_runs(sorted((copy / "variants").iterdir())).to_dict()
    assert stats["variants"].keys() == folders["variants"].keys()
    assert stats["pbo"] == folders["pbo"] and stats["mcs"] == folders["mcs"]


def test_a_runs_attribution_and_regimes_are_kept_for_the_next_page(swept, tmp_path, monkeypatch):
    """The page's when-and-why rows of a sweep's variants are worked out once and read back
    from beside the store after (a sweep's page is rewritten on every --resume): the same
    HTML, and worked out again when the run's files change. Runs of no sweep are not cached."""
    from reports import regime_parts

    variants, out = swept
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    cached = copy / "store" / regime_parts.CACHE
    shutil.rmtree(cached, ignore_errors=True)  # kept by the fixture's pages: start without
    runs = [copy / "variants" / v.id for v in variants[:2]]
    labels = ["a", "b"]
    fresh = regime_parts.comparison_html(runs, labels, "sharpe")
    assert sorted(p.name for p in cached.iterdir()) == sorted(f"{r.name}.json" for r in runs)
    calls = []
    real = regime_parts.regime_report
    monkeypatch.setattr(regime_parts, "regime_report", lambda d: calls.append(d) or real(d))
    assert regime_parts.comparison_html(runs, labels, "sharpe") == fresh and calls == []
    path = runs[0] / "returns.csv"
    lines = path.read_text().splitlines()
    date, _, *rest = lines[9].split(",")
    lines[9] = ",".join([date, "0.05", *rest])  # the run changed: its rows are redone
    path.write_text("\n".join(lines) + "\n")
    changed = regime_parts.comparison_html(runs, labels, "sharpe")
    assert calls == [runs[0]] and changed != fresh
    alone = shutil.copytree(runs[1], tmp_path / "alone")  # a run of no sweep: nothing kept
    regime_parts.comparison_html([alone], ["b"], "sharpe")
    regime_parts.comparison_html([alone], ["b"], "sharpe")
    assert calls[1:] == [alone, alone] and sorted(p.name for p in alone.iterdir()) == \
        sorted(p.name for p in runs[1].iterdir())


def test_resume_trusts_the_store_and_redoes_a_damaged_variant(swept, tmp_path, monkeypatch):
    """On --resume the store says which variants are done (their files were checked when
    stored): no returns.csv is read again. A variant whose files changed into garbage is not
    stored on refresh, redone, and stored again."""
    from engine import sweep

    variants, out = swept
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    checked = []
    real = sweep.finished_ok
    monkeypatch.setattr(sweep, "finished_ok", lambda d: checked.append(d.name) or real(d))
    result = run_sweep(variants, copy, executor="serial", resume=True)
    assert result.skipped == len(variants) and checked == []
    damaged = copy / "variants" / variants[2].id / "returns.csv"
    damaged.write_text("date,strategy,benchmark,twin\n2016-01-04,x,y,z\n")
    result = run_sweep(variants, copy, executor="serial", resume=True)
    assert result.skipped == len(variants) - 1 and set(checked) == {variants[2].id}
    assert_same_store(copy, out)
