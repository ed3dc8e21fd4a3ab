"""An "upbench" tab in Locust's web UI (its extended_tabs/extended_stats extension points):
the target's live RSS and CPU (psutil over the process trees named by UPBENCH_TARGET_PIDS) and,
for 202 patterns, how many acknowledged uploads are still awaiting completion."""

from __future__ import annotations

import json
import os

from locust import events

from loadtests import scenarios

TAB = "upbench"


@events.init.add_listener
def _install(environment, **_):
    pids = [int(p) for p in os.environ.get("UPBENCH_TARGET_PIDS", "").split(",") if p]
    if environment.web_ui is None:
        return
    import psutil
    from flask import request

    tracked: dict[int, psutil.Process] = {}

    def target_rows() -> list[dict]:
        rss = cpu = 0.0
        for root in pids:
            try:
                tree = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
            except psutil.Error:
                continue
            for proc in tree:
                proc = tracked.setdefault(proc.pid, proc)
                try:
                    rss += proc.memory_info().rss
                    cpu += proc.cpu_percent(None)
                except psutil.Error:
                    tracked.pop(proc.pid, None)
        return [{"metric": "target RSS (MB)", "value": round(rss / 2**20, 1)},
                {"metric": "target CPU (%)", "value": round(cpu, 1)},
                {"metric": "202 uploads awaiting completion", "value": len(scenarios.pending)},
                {"metric": "202 uploads completed", "value": scenarios.completed["count"]}]

    environment.web_ui.template_args["extended_tabs"] = [{"title": "upbench", "key": TAB}]
    environment.web_ui.template_args["extended_tables"] = [{"key": TAB, "structure": [
        {"key": "metric", "title": "Metric"}, {"key": "value", "title": "Value"}]}]

    @environment.web_ui.app.after_request
    def _extend_stats(response):
        if request.path == "/stats/requests" and response.is_json:
            body = response.get_json()
            body["extended_stats"] = [{"key": TAB, "data": target_rows()}]
            response.set_data(json.dumps(body))
        return response
