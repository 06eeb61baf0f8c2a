"""The code base is ruff-clean (the configuration lives in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install '.[test]')")
    result = subprocess.run([ruff, "check", "lbtutor", "tests", "benchmarks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_simulator_and_content_layers_never_import_the_ui():
    code = (
        "import sys, lbtutor.sim, lbtutor.sim.live, lbtutor.sim.scenarios, lbtutor.sim.theory;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_real_layer_imports_the_simulator_but_never_the_ui_content_textual_or_rich():
    code = (
        "import pkgutil, importlib, sys, lbtutor.real;"
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(lbtutor.real.__path__, 'lbtutor.real.')];"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')"
        " or m.startswith(('lbtutor.ui', 'lbtutor.content'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
