"""`bench.py ui`: target + Locust web UI offering the target's own scenarios; a swarm started
with the form's defaults runs without failures; a wrong path fails slowly and the upbench tab
says why; Ctrl-C stops all."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import interrupt_and_check_tree, wait_until
from upbench.lifecycle.ports import free_port

REPO = Path(__file__).resolve().parent.parent
NOT_TUS = ["upload", "mixed", "idle", "slow", "slow-mixed", "retry-from-zero"]


def get_json(url, data=None):
    with urllib.request.urlopen(url, data, timeout=5) as response:
        return json.loads(response.read())


@contextmanager
def ui(target: str, *args: str):
    """`bench.py ui TARGET` on a free port -> (base URL, the running process)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "bench.py", "ui", target, "--web-port", str(port),
                             *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        first = proc.stdout.readline()
        assert f"{target} on http://127.0.0.1:" in first, proc.stderr.read()
        assert base in proc.stdout.readline()
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()


def form_defaults(base: str) -> tuple[dict, dict]:
    """What Locust's form posts to /swarm when nothing is changed (its React form: users and
    spawn rate from the page's template arguments, else 1; every custom parameter at its
    default, a choice at its default or first option) -> (form, template arguments)."""
    page = urllib.request.urlopen(base, timeout=5).read().decode()
    args = json.loads(re.search(r"window\.templateArgs = (\{.*?\})\s*\n", page).group(1))
    form = {"user_count": args["num_users"] or 1, "spawn_rate": args["spawn_rate"] or 1,
            "host": args["host"], "run_time": "", "profile": ""}
    for key, option in args["extra_options"].items():
        form[key] = option["default_value"] or (option["choices"] or [""])[0]
    assert not args["show_userclass_picker"]  # classes come from the scenario field
    return form, args


def swarm(base: str, form: dict) -> None:
    answer = get_json(f"{base}/swarm", urllib.parse.urlencode(form).encode())
    assert answer["success"], answer


def tab(stats: dict, key: str = "upbench") -> list[dict]:
    return next(t["data"] for t in stats["extended_stats"] if t["key"] == key)


def live(base: str) -> dict:
    """The upbench tab's metric -> value, as the page polls it."""
    return {row["metric"]: row["value"] for row in tab(get_json(f"{base}/stats/requests"))}


def requests_counted(base: str, at_least: int):
    def counted():
        stats = get_json(f"{base}/stats/requests")
        total = next(s for s in stats["stats"] if s["name"] == "Aggregated")
        return stats if total["num_requests"] >= at_least else None
    return wait_until(counted, timeout=30, what=f"{at_least} requests counted by the UI")


@pytest.mark.slow  # a swarm through Locust's web UI
def test_ui_defaults_run_the_upload_scenario_without_failures():
    with ui("flask-thread", "--size", "64KB") as (base, proc):
        form, args = form_defaults(base)
        scenario = args["extra_options"]["scenario"]
        assert scenario["choices"] == NOT_TUS and form["scenario"] == "upload"
        assert form["user_count"] == 4  # enough for mixed: 2 bystanders + 2 uploaders
        swarm(base, form)
        stats = requests_counted(base, 20)
        rows = {(s["method"], s["name"]): s for s in stats["stats"] if s["name"] != "Aggregated"}
        assert list(rows) == [("POST", "/upload [64000B]")]  # no tus, no bystander
        assert rows["POST", "/upload [64000B]"]["num_failures"] == 0
        shown = {row["metric"]: row["value"] for row in tab(stats)}
        assert shown["warning"] == "none" and shown["failed uploads"].startswith("0 of ")
        assert shown["scenario"] == "upload: UploadUser"
        assert shown["target RSS (MB)"] > 20
        offered = {row["scenario"]: row["classes"] for row in tab(stats, "scenarios")}
        assert list(offered) == NOT_TUS and offered["mixed"] == "UploadUser + 2 BystanderUser"
        wait_until(lambda: live(base)["202 uploads completed"] > 0, what="completions counted")

        # the same UI, the upload path mistyped: slow failures and a warning that says why
        get_json(f"{base}/stop", b"")
        swarm(base, {**form, "upload_path": "/uplaod"})
        begun = time.monotonic()
        warning = wait_until(lambda: live(base)["warning"] != "none" and live(base)["warning"],
                             what="the failure warning")
        assert warning == "100 % of uploads failed: 404 Not Found on /uplaod — is the path right?"
        time.sleep(max(0.0, begun + 3 - time.monotonic()))
        stats = get_json(f"{base}/stats/requests")
        failed = next(s for s in stats["stats"] if s["name"] == "Aggregated")["num_failures"]
        assert 4 <= failed <= 4 * 9, failed  # 4 users backing off from 0.05 s: ~7 each in 3 s
        interrupt_and_check_tree(proc, ("locust", "gunicorn"))


@pytest.mark.slow  # Locust's web UI started
def test_ui_offers_tus_only_for_a_tus_target():
    with ui("resumable", "--size", "2MB") as (base, proc):
        form, args = form_defaults(base)
        assert args["extra_options"]["scenario"]["choices"] == [*NOT_TUS, "resumable"]
        assert form["scenario"] == "upload" and form["upload_path"] == ""
        swarm(base, {**form, "scenario": "resumable", "chunk_size": "1MB"})
        stats = requests_counted(base, 4)
        [row] = [s for s in stats["stats"] if s["name"] != "Aggregated"]
        assert (row["method"], row["name"]) == ("TUS", "/files/ [2000000B]")  # its own path
        assert row["num_failures"] == 0
        interrupt_and_check_tree(proc, ("locust", "gunicorn"))


def test_ui_refuses_a_scenario_the_target_cannot_run():
    result = subprocess.run([sys.executable, "bench.py", "ui", "flask-sync", "--scenario",
                             "resumable"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "bench.py: error: flask-sync cannot run scenario 'resumable' in the web UI (it offers: "
        "upload, mixed, idle, slow, slow-mixed, retry-from-zero)"]


def test_ui_form_sends_a_real_file_under_a_name_template(tmp_path):
    photo = tmp_path / "cat.jpg"
    photo.write_bytes(b"\xff\xd8" + bytes(range(256)) * 100)
    with ui("flask-stream", "--file", str(photo), "--content-type", "image/jpeg",
            "--filename", "{n}-{name}") as (base, proc):
        form, _ = form_defaults(base)
        assert (form["upload_file"], form["content_type"], form["filename"]) == \
            (str(photo), "image/jpeg", "{n}-{name}")
        swarm(base, form)
        stats = requests_counted(base, 4)
        [row] = [s for s in stats["stats"] if s["name"] != "Aggregated"]
        assert row["name"] == f"/upload [{photo.stat().st_size}B]" and row["num_failures"] == 0
        interrupt_and_check_tree(proc, ("locust", "gunicorn"))
