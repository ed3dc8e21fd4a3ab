"""The Locust command line a load level turns into (cheap: nothing is started)."""

from pathlib import Path

from upbench.config import LoadLevel
from upbench.lifecycle.locust import LoadSpec, locust_command


def spec(**kw):
    base = dict(base_url="http://127.0.0.1:9", scenario="upload", size=1000,
                level=LoadLevel("closed", users=3), duration=2.5, target_name="t",
                samples_dir=Path("/tmp/s"))
    return LoadSpec(**{**base, **kw})


def arg(cmd, flag):
    return cmd[cmd.index(flag) + 1]


def test_closed_loop_command():
    cmd = locust_command(spec())
    assert arg(cmd, "--users") == "3" and arg(cmd, "--user-rate") == "0"
    assert arg(cmd, "--run-time") == "3s"  # Locust counts whole seconds: rounded up
    assert float(arg(cmd, "--stop-timeout")) >= 30  # in-flight uploads may finish
    assert "--headless" in cmd and cmd[-1] == "UploadUser"
    assert "--processes" not in cmd


def test_open_loop_splits_the_rate_over_processes():
    cmd = locust_command(spec(level=LoadLevel("open", rate=50), processes=2))
    assert arg(cmd, "--users") == "2" and arg(cmd, "--user-rate") == "25"
    assert arg(cmd, "--processes") == "2"
    assert arg(cmd, "--master-bind-host") == "127.0.0.1"  # nothing listens beyond loopback


def test_mixed_adds_bystanders_and_resumable_uses_tus():
    assert arg(locust_command(spec(scenario="idle")), "--scenario") == "idle"  # the bystanders' label
    cmd = locust_command(spec(scenario="mixed"))
    assert arg(cmd, "--users") == "5" and cmd[-2:] == ["UploadUser", "BystanderUser"]
    assert locust_command(spec(scenario="resumable"))[-1] == "TusUploadUser"
