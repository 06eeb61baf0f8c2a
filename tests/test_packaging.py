"""The wheel carries the lessons and assets, and the path helper finds them once installed."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    return next(out.glob("lbtutor-*.whl"))


def test_wheel_bundles_every_lesson_and_asset(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for source in list((ROOT / "lessons").rglob("*")) + list((ROOT / "assets").rglob("*")):
        if source.is_file():
            top = source.relative_to(ROOT).parts[0]
            inner = source.relative_to(ROOT / top).as_posix()
            assert f"lbtutor/_data/{top}/{inner}" in names
    assert "lbtutor/sim/engine.py" in names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    ).decode()
    assert "lbtutor = lbtutor.cli:main" in entry_points


def test_installed_wheel_finds_its_bundled_data(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "import lbtutor.paths as p; print(p.lessons_dir()); print(p.assets_dir())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": ""}).stdout.split()
    assert out == [str(site / "lbtutor/_data/lessons"), str(site / "lbtutor/_data/assets")]
    assert (site / "lbtutor/_data/assets/lbtutor.tcss").is_file()


def test_source_checkout_finds_data_at_the_repository_root():
    import lbtutor.paths as p

    if (Path(p.__file__).parent / "_data").exists():
        pytest.skip("running from an installed wheel")
    assert p.lessons_dir() == ROOT / "lessons"
    assert p.assets_dir() == ROOT / "assets"


def test_data_dir_follows_lbtutor_home(tmp_path, monkeypatch):
    import lbtutor.paths as p

    monkeypatch.setenv("LBTUTOR_HOME", str(tmp_path / "home"))
    assert p.data_dir() == tmp_path / "home"
    assert p.data_dir(tmp_path / "flag") == tmp_path / "flag"
