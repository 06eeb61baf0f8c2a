"""Shared by the tests of lbtutor/real: skips when a balancer is missing, a real run with the
simulator beside it, and the processes a run leaves (none, we hope)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from lbtutor.real.beside import BesideRun
from lbtutor.real.binaries import find
from lbtutor.real.headless import beside_of, run_for_real
from lbtutor.real.run import RealRun
from lbtutor.real.setup import RealSetup

needs_haproxy = pytest.mark.skipif(find("haproxy") is None,
                                   reason="haproxy is not installed (apt-get install haproxy)")
needs_nginx = pytest.mark.skipif(find("nginx") is None,
                                 reason="nginx is not installed (apt-get install nginx)")


def needs(balancer: str):
    return needs_haproxy if balancer == "haproxy" else needs_nginx


@dataclass
class Both:
    """A finished real run and the simulator's run of the same setup beside it."""

    run: RealRun
    real: dict
    sim_run: BesideRun
    sim: dict

    def event(self, side: str, server: str, action: str) -> dict:
        events = self.real["events"] if side == "real" else self.sim["events"]
        return next(e for e in events if e["server"] == server and e["action"] == action)

    def shares(self, side: str) -> dict[str, float]:
        rows = self.real["servers"] if side == "real" else self.sim["servers"]
        return {r["name"]: r["share"] for r in rows}


def run_both(setup: RealSetup) -> Both:
    run = asyncio.run(run_for_real(setup))
    sim_run = beside_of(run)
    return Both(run, run.result(), sim_run, sim_run.result(run.end))


def processes_mentioning(text: str) -> dict[int, tuple[int, str]]:
    """pid -> (process group, command line) of every process whose command line contains `text`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if text in cmdline:
                found[int(entry.name)] = (os.getpgid(int(entry.name)), cmdline)
        except (OSError, ProcessLookupError):
            continue
    return found


def processes_in_groups(groups: set[int]) -> list[int]:
    """Live (not zombie) processes in any of `groups`."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp in groups and state != "Z":
            alive.append(int(entry.name))
    return alive
