"""Every test gets its own learner-data folder, so nothing touches a real user's progress.

`tutor`: the bundled course in an app that cannot quit, with labs paused and no animation."""

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "lbtutor-home"
    monkeypatch.setenv("LBTUTOR_HOME", str(home))
    return home


@pytest.fixture
def tutor(isolated_home, monkeypatch):
    from test_hardening_keys import MashedApp, quicken_pilot

    quicken_pilot(monkeypatch)
    app = MashedApp(None, isolated_home, autoplay_labs=False)
    app.animation_level = "none"
    return app
