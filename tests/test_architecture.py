"""The layers hold: the import-linter contracts in pyproject.toml pass, no module imports itself
in a circle, and a sweep worker's backtest never loads the reporting stack."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cli", "reports", "research", "engine", "strategies", "core")


def _cycles(graph) -> list[tuple[str, ...]]:
    """Every import edge a -> b for which b also reaches a: the module cycles."""
    found = []
    for a in sorted(graph.modules):
        for b in sorted(graph.find_modules_directly_imported_by(a)):
            if b != a and graph.chain_exists(importer=b, imported=a):
                found.append(tuple(graph.find_shortest_chain(importer=b, imported=a)) + (b,))
    return found


def test_no_module_imports_itself_through_others():
    assert _cycles(grimp.build_graph(*PACKAGES)) == []


def test_cycle_finder_sees_a_planted_cycle():
    """Guards the test above: add engine.metrics -> engine.runner (runner imports metrics)."""
    graph = grimp.build_graph(*PACKAGES)
    graph.add_import(importer="engine.metrics", imported="engine.runner")
    assert any("engine.metrics" in c and "engine.runner" in c for c in _cycles(graph))


def test_import_contracts_pass():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


@pytest.mark.parametrize(
    "layer, forbidden",
    [
        ("engine.runner", "reports.tearsheet"),
        ("engine.sweep", "reports.compare"),
        ("strategies.base", "engine.runner"),
    ],
)
def test_contracts_would_catch_an_upward_import(tmp_path, layer, forbidden):
    """A copy of pyproject with one upward import planted in a copy of the code fails
    lint-imports."""
    work = tmp_path / "repo"
    shutil.copytree(
        ROOT, work, ignore=shutil.ignore_patterns(".venv", ".git", "runs", "*.csv", "__pycache__")
    )
    module = work / (layer.replace(".", "/") + ".py")
    module.write_text(module.read_text() + f"\nimport {forbidden}  # planted\n")
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    out = subprocess.run([exe, "--no-cache"], cwd=work, capture_output=True, text=True,
                         env={"PYTHONPATH": str(work), "PATH": str(Path(sys.executable).parent)})
    assert out.returncode != 0 and "BROKEN" in out.stdout, out.stdout[-1500:]


def test_a_sweep_worker_backtest_does_not_import_reports():
    """A variant run by a sweep worker loads no page machinery: no reports, research or cli, and
    none of the libraries the pages draw with (quantstats, matplotlib, plotly)."""
    code = (
        "import sys; from engine.sweep import run_variant; import tempfile, os; d = "
        "tempfile.mkdtemp(); row = run_variant({'strategy': 'buy_and_hold', 'start': "
        "'2024-01-02', 'end': '2024-03-28'}, os.path.join(d, 'v')); assert row['status'] == "
        "'done', row; print(','.join(m for m in ('reports', 'research', 'cli', 'jinja2', 'typer', "
        "'quantstats', 'matplotlib', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""
