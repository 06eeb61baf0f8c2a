"""`lbtutor real --print-config`: whole config files that the real programs accept, the algorithm
mapping (and its refusals), and the command line's limits: bad input is exit 2 and one line."""

from __future__ import annotations

import json
import subprocess

import pytest
from real_runs import needs_haproxy, needs_nginx

from lbtutor.cli import main
from lbtutor.real import algorithms
from lbtutor.real.binaries import find
from lbtutor.real.headless import printed_config
from lbtutor.real.setup import Break, RealSetup, parse_break, parse_heal
from lbtutor.sim.balancers import ALGORITHMS
from lbtutor.sim.config import ConfigError


def printed(capsys, *args: str) -> str:
    assert main(["real", "--print-config", *args]) == 0
    return capsys.readouterr().out


@needs_haproxy
@pytest.mark.parametrize("slug", algorithms.supported("haproxy"))
def test_every_printed_haproxy_config_passes_haproxy_c(slug, tmp_path, capsys):
    text = printed(capsys, "--balancer", "haproxy", "--algorithm", slug, "--weights", "5,3,2",
                   "--check-timeout", "0.5", "--slowstart", "10")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    out = subprocess.run([find("haproxy"), "-c", "-f", str(cfg)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Configuration file is valid" in out.stdout
    for line in algorithms.HAPROXY[slug]:
        assert f"    {line}\n" in text


@needs_nginx
@pytest.mark.parametrize("slug", algorithms.supported("nginx"))
def test_every_printed_nginx_config_passes_nginx_t(slug, tmp_path, capsys):
    text = printed(capsys, "--balancer", "nginx", "--algorithm", slug, "--weights", "5,3,2")
    (tmp_path / "nginx.conf").write_text(text)
    out = subprocess.run([find("nginx"), "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "test is successful" in out.stderr
    if algorithms.NGINX[slug]:
        assert f"        {algorithms.NGINX[slug]}\n" in text


@pytest.mark.parametrize("slug", algorithms.supported("envoy"))
def test_every_printed_envoy_config_is_a_v3_bootstrap_with_health_checks(slug, capsys):
    boot = json.loads(printed(capsys, "--balancer", "envoy", "--algorithm", slug, "--weights", "5,3,2",
                              "--check-interval", "2", "--fall", "3", "--rise", "2"))
    listener = boot["static_resources"]["listeners"][0]
    hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
    assert hcm["@type"].endswith("http_connection_manager.v3.HttpConnectionManager")
    assert hcm["http_filters"][-1]["typed_config"]["@type"].endswith("router.v3.Router")
    cluster = boot["static_resources"]["clusters"][0]
    assert cluster["lb_policy"] == algorithms.ENVOY[slug]
    check = cluster["health_checks"][0]
    assert (check["interval"], check["timeout"], check["unhealthy_threshold"], check["healthy_threshold"]) == \
        ("2s", "2s", 3, 2)
    weights = [e["load_balancing_weight"] for e in cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]]
    assert weights == [5, 3, 2]


def test_every_algorithm_is_mapped_or_refused_for_each_balancer():
    for balancer in ("haproxy", "nginx", "envoy"):
        for slug in ALGORITHMS:
            if slug in algorithms.supported(balancer):
                printed_config(RealSetup(balancer=balancer, algorithm=slug).validate(printable=True))
            else:
                with pytest.raises(algorithms.Unsupported):
                    algorithms.check(balancer, slug)


@pytest.mark.parametrize("args, says", [
    (["--balancer", "haproxy", "--algorithm", "least-response-time"], "HAProxy has no least-response-time"),
    (["--balancer", "nginx", "--algorithm", "peak-ewma"], "nginx has no peak-EWMA"),
    (["--balancer", "nginx", "--algorithm", "weighted-least-connections"], "nginx's least_conn weighs"),
    (["--balancer", "envoy", "--algorithm", "ip-hash", "--print-config"], "Envoy hashes only consistently"),
    (["--duration", "601"], "--duration must be above 0 and at most 600 s"),
    (["--arrival-rate", "2001"], "--arrival-rate must be at most 2,000 req/s"),
    (["--weights", "5,0.5,2"], "is not a comma-separated list of whole numbers"),
    (["--weights", "5,3", "--servers", "3"], "--weights has 2 values but --servers is 3"),
    (["--break", "s9=hang@5"], "no server named 's9'"),
    (["--break", "s1=melt@5"], "the mode must be one of refuse, hang, app-error, slow"),
    (["--break", "s1=hang@30", "--duration", "20"], "the time must be from 0 to below --duration"),
    (["--balancer", "nginx", "--check-interval", "1"], "open-source nginx has no active health checks"),
    (["--balancer", "nginx", "--slowstart", "5"], "slow_start is NGINX Plus only"),
    (["--balancer", "haproxy", "--max-fails", "2"], "--max-fails is nginx's passive check"),
    (["--balancer", "envoy", "--duration", "5"], "--balancer must be one of haproxy, nginx"),
])
def test_bad_input_exits_2_with_one_line_naming_it(args, says, capsys):
    with pytest.raises(SystemExit) as exit_info:
        status = main(["real", "--json", *args])
        raise SystemExit(status)
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2
    assert len(err.splitlines()) == 1 and says in err, err


def test_breaks_and_heals_parse_as_the_help_says():
    assert parse_break("s1=hang@5") == Break("s1", "hang", 5.0, 1.0)
    assert parse_break("s2=slow@1.5") == Break("s2", "slow", 1.5, 4.0)
    assert parse_break("s2=slowx8@3") == Break("s2", "slow", 3.0, 8.0)
    assert parse_heal("s1@15").at == 15.0
    with pytest.raises(ConfigError, match="NAME=MODE@SECONDS"):
        parse_break("s1@5")


def test_a_short_timeout_check_is_flagged_in_the_haproxy_config_with_what_haproxy_really_waits():
    text = printed_config(RealSetup(check_interval=2.0, check_timeout=0.3).validate())
    assert "timeout check 300ms" in text
    assert "a hung server's probe fails after 1 s, not 0.3" in text


def test_the_defaults_are_the_issues():
    s = RealSetup().validate()
    assert (s.server_count, s.workers, 1 / s.service_rate, s.rate / s.capacity, s.duration) == \
        (4, 2, 0.02, pytest.approx(0.6), 20.0)
