"""Every test gets its own learner-data folder, so nothing touches a real user's progress."""

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "lbtutor-home"
    monkeypatch.setenv("LBTUTOR_HOME", str(home))
    return home
