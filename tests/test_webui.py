"""`bench.py ui`: target + Locust web UI; swarm through the UI's HTTP API; Ctrl-C stops all."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from tests.helpers import interrupt_and_check_tree, wait_until
from upbench.lifecycle.ports import free_port

REPO = Path(__file__).resolve().parent.parent


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_ui_swarms_against_the_target_and_stops_cleanly():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "bench.py", "ui", "flask-thread", "--web-port",
                             str(port), "--size", "64KB"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    ui = f"http://127.0.0.1:{port}"
    try:
        first = proc.stdout.readline()
        assert "flask-thread on http://127.0.0.1:" in first, proc.stderr.read()
        assert ui in proc.stdout.readline()
        page = urllib.request.urlopen(ui, timeout=5).read().decode()
        for name in ("UploadUser", "SlowUploadUser", "BystanderUser"):
            assert name in page  # the harness's scenarios are selectable user classes
        form = urllib.parse.urlencode({"user_count": 2, "spawn_rate": 2,
                                       "host": first.split(" on ")[1].split()[0],
                                       "user_classes": "UploadUser"}).encode()
        swarm = json.loads(urllib.request.urlopen(f"{ui}/swarm", form, timeout=5).read())
        assert swarm["success"], swarm

        def counted():
            stats = get_json(f"{ui}/stats/requests")
            total = next(s for s in stats["stats"] if s["name"] == "Aggregated")
            return stats if total["num_requests"] > 5 else None
        stats = wait_until(counted, timeout=30, what="requests counted by the UI")
        [tab] = stats["extended_stats"]
        rows = {row["metric"]: row["value"] for row in tab["data"]}
        assert rows["target RSS (MB)"] > 20
        wait_until(lambda: {r["metric"]: r["value"] for r in get_json(
            f"{ui}/stats/requests")["extended_stats"][0]["data"]}["202 uploads completed"] > 0,
            what="completions counted")
        interrupt_and_check_tree(proc, ("locust", "gunicorn"))
    finally:
        if proc.poll() is None:
            proc.kill()
