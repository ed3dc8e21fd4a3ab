"""The report as a person sees it: rendered from a stored results.json, looked at in headless
Chromium, and checked through what each plot records of itself (`html.plots()` -> `meta`).

Three real runs (tests/data/README.md says how each was made):
- results-golden.json — older results (no spectrum, no series): the report must still render,
  leave those plots out and say why; once regenerated with them, the same test checks them;
- results-quick.json — a real `bench.py run --quick`: one load per level, nine targets;
- results-default-like.json — two sizes x two user counts, a crash level and an open loop.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from upbench.reporting import html
from upbench.reporting.plots import Plots

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
GOLDEN, QUICK, DEFAULT, OLD = (DATA / f"results-{n}.json"
                               for n in ("golden", "quick", "default-like", "v0"))
COMPARISONS = {"latency", "phases", "completion", "bystander"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
    "google-chrome")


class Page(HTMLParser):
    """What the rendered DOM contains: plots (family, image), verdict rows, notes, warnings."""

    def __init__(self):
        super().__init__()
        self.plots: list[tuple[str, str]] = []
        self.verdicts: list[list[str]] = []
        self.warnings = self.notes = self.details = self.sortable = 0
        self._family = None
        self._in_verdicts = False
        self._row: list[str] | None = None
        self._cell = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "figure":
            self._family = a.get("data-family")
        elif tag == "img" and self._family:
            self.plots.append((self._family, a.get("src", "")))
        elif tag == "table":
            self._in_verdicts = a.get("id") == "verdict-table"
        elif tag == "tr" and self._in_verdicts:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = True
            self._row.append("")
        elif tag == "div" and "warn" in classes:
            self.warnings += 1
        elif tag == "p" and "note" in classes:
            self.notes += 1
        elif tag == "details" and "level" in classes:  # a level's time series
            self.details += 1
        elif tag == "input" and a.get("data-col") is not None:
            self.sortable += 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self._family = None
        elif tag == "td":
            self._cell = False
        elif tag == "tr" and self._row:
            self.verdicts.append([c.strip() for c in self._row])
            self._row = None
        elif tag == "table":
            self._in_verdicts = False

    def handle_data(self, data):
        if self._cell and self._row is not None:
            self._row[-1] += data


def render(source: Path, tmp_path: Path) -> Path:
    shutil.copy(source, tmp_path / "results.json")
    result = subprocess.run([sys.executable, "bench.py", "report", str(tmp_path / "results.json")],
                            cwd=REPO, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return tmp_path / "index.html"


def chromium(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--no-first-run", "--disable-quic",
                           f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=180)


def levels(doc: dict) -> set[str]:
    """Every level that measured uploads, named as the plots name them."""
    made = Plots(doc, [])
    return {made.level_name(r) for r in made.results if (r["latency_ms"] or {}).get("count")}


@pytest.fixture(scope="module")
def plots() -> dict[str, list[dict]]:
    return {name: html.plots(json.loads(path.read_text()))
            for name, path in (("quick", QUICK), ("default", DEFAULT), ("golden", GOLDEN))}


def families(made: list[dict]) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for p in made:
        out[p["family"]].append(p)
    return out


@pytest.mark.parametrize("name", ["quick", "default", "golden"])
def test_no_plot_draws_a_line_of_one_point_and_each_target_keeps_its_colour(plots, name):
    colour: dict[str, set[str]] = defaultdict(set)
    for p in plots[name]:
        for line in p["meta"]["lines"]:
            assert line["points"] >= 2, (p["title"], line)
            label = line["label"] or ""
            if not label.endswith("starts/s"):  # open loop's schedule is drawn in black
                colour[label.split(" ")[0]].add(line["color"])
        assert p["meta"]["lines"] or p["meta"]["bars"], p["title"]  # never an empty plot
    targets = {t: c for t, c in colour.items() if t}
    assert all(len(c) == 1 for c in targets.values()), targets
    assert len({next(iter(c)) for c in targets.values()}) == len(targets)  # one each


@pytest.mark.parametrize("name, path", [("quick", QUICK), ("default", DEFAULT)])
def test_every_upload_level_has_a_spectrum_and_a_time_series(plots, name, path):
    doc = json.loads(path.read_text())
    by = families(plots[name])
    for family in ("spectrum", "series"):
        shown = {level for p in by[family] for level in p["meta"]["levels"]}
        assert shown == levels(doc), family
    for p in by["spectrum"]:  # one line per target of the level, up to its max
        targets = {r["target"] for r in doc["results"] if r.get("latency_spectrum")
                   and Plots(doc, []).level_name(r) == p["meta"]["levels"][0]}
        assert {line["label"] for line in p["meta"]["lines"]} - {None} == targets  # None: a rep
        assert all(line["points"] >= 8 for line in p["meta"]["lines"])


def test_one_load_per_level_gives_bars_not_lines(plots):
    by = families(plots["quick"])
    assert COMPARISONS <= by.keys()
    for family in COMPARISONS:
        assert all(p["meta"]["kind"] == "bars" for p in by[family]), family
    assert "size" not in by  # one size per scenario: nothing to draw against size
    assert len(plots["quick"][0]["meta"]["lines"]) >= 9  # nine targets in the spectrum


def test_two_loads_give_lines_one_point_per_load_and_the_series_marks_crash_and_open_loop(plots):
    doc = json.loads(DEFAULT.read_text())
    by = families(plots["default"])
    assert COMPARISONS | {"size", "spectrum", "series"} <= by.keys()
    lines = [p for p in by["latency"] if p["meta"]["kind"] == "lines"]
    assert lines and all(line["points"] == 2 for p in lines for line in p["meta"]["lines"])
    crashed = {r["target"] for r in doc["results"] if r.get("crash")}
    marks = {m for p in by["series"] for m in p["meta"]["marks"]}
    assert crashed and {f"{t} killed" for t in crashed} | {f"{t} ready" for t in crashed} <= marks
    open_loop = {r["target"] for r in doc["results"] if r["load"]["model"] == "open"}
    drawn = {line["label"] for p in by["series"] for line in p["meta"]["lines"]}
    assert open_loop and all(f"{t} intended starts/s" in drawn for t in open_loop)
    assert "Red line: the target killed" in next(p["caption"] for p in by["series"]
                                                 if "crash" in p["meta"]["levels"][0])


def test_captions_say_what_was_run(plots):
    for p in plots["default"]:
        caption = p["caption"]
        assert caption.startswith("Ran: ") and "work sha256" in caption and " s per level" in caption
        assert re.search(r"\d users?|\d/s", caption), caption


@pytest.mark.slow  # a whole report rendered
def test_old_results_render_and_say_which_plots_they_cannot_feed(tmp_path):
    doc = json.loads(OLD.read_text())
    page = Page()
    page.feed(render(OLD, tmp_path).read_text())
    shown = {family for family, _ in page.plots}
    assert COMPARISONS <= shown
    has = {"spectrum": any(r.get("latency_spectrum") for r in doc["results"]),
           "series": any(r.get("series") for r in doc["results"])}
    for family, present in has.items():
        assert (family in shown) == present
    assert page.notes == sum(not present for present in has.values())
    backed = [v for v in doc["verdicts"] if v["holds"] is not None]
    assert len(backed) >= 5 and all(any(ch.isdigit() for ch in v["evidence"]) for v in backed)


@pytest.mark.slow  # a whole report rendered
def test_a_claims_run_shows_every_verdict_with_its_experiment_and_interval(tmp_path):
    """The golden file is a real default run (`python bench.py`): every claim judged, each
    with its experiment, effect, interval, threshold and repetitions, drawn in the forest."""
    doc = json.loads(GOLDEN.read_text())
    assert doc["claims_run"]["min_repetitions"] >= 3
    page = Page()
    text = render(GOLDEN, tmp_path).read_text()
    page.feed(text)
    what_it_means_links_every_judged_claim(doc, text)
    assert "claims-forest" in {family for family, _ in page.plots}
    assert len(page.verdicts) == len(doc["verdicts"]) >= 15  # every claim of the run
    shown = {row[2] for row in page.verdicts}
    assert shown <= {"holds", "does not hold", "inconclusive", "not measured"}
    for v in doc["verdicts"]:
        effect = v["effect"]
        assert v["experiment"]["id"] and v["quote"] and v["code"]
        if v["verdict"] in ("holds", "does not hold"):
            lo, hi = effect["interval"]
            assert lo <= effect["estimate"] <= hi and len(v["repetitions"]) >= 3
            side = hi < effect["threshold"] if effect["holds_if"] == "below" else \
                lo > effect["threshold"]
            assert side == (v["verdict"] == "holds")
            assert f"{effect['threshold']:g}" in v["evidence"]


def what_it_means_links_every_judged_claim(doc: dict, text: str) -> None:
    """The synthesis at the top: one sentence per judged claim, each linked to the claim's
    own section, grouped by seed, after a line naming the machine."""
    section = re.search(r'<section id="what-it-means">(.*?)</section>', text, re.S)
    assert section and text.index('id="what-it-means"') < text.index('id="verdicts"')
    links = re.findall(r'href="#claim-([\w-]+)"', section.group(1))
    judged = [v["id"] for v in doc["verdicts"] if v["verdict"] != "not measured"]
    assert sorted(links) == sorted(judged) and judged
    anchors = set(re.findall(r'id="claim-([\w-]+)"', text))
    assert set(links) <= anchors
    assert "Measured on" in section.group(1) and "CPUs" in section.group(1)
    assert "Seed 000" in section.group(1) and "Hidden costs" in section.group(1)


def test_stored_verdicts_are_what_the_stored_results_say():
    """`report` re-judges nothing, and need not: judging the stored results again gives the
    stored verdicts (the verdict is a function of the results alone)."""
    from upbench.reporting import verdicts

    doc = json.loads(GOLDEN.read_text())
    again = {v["id"]: v["verdict"] for v in verdicts.evaluate(doc)}
    stored = {v["id"]: v["verdict"] for v in doc["verdicts"]}
    assert {k: again[k] for k in stored} == stored
    assert {again[k] for k in again.keys() - stored.keys()} <= {"not measured"}  # newer claims


@pytest.mark.slow  # renders and screenshots in Chromium
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("source", [QUICK, DEFAULT, GOLDEN], ids=["quick", "default-like",
                                                            "default"])
def test_report_in_headless_chromium(tmp_path, source):
    import matplotlib.image

    index = render(source, tmp_path)
    dom = chromium("--dump-dom", index.as_uri(), tmp_path=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = Page()
    page.feed(dom.stdout)
    seen = set()
    for family, src in page.plots:
        assert src.startswith("data:image/png;base64,")
        image = matplotlib.image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])),
                                        format="png")
        assert 150 < image.shape[0] and 500 < image.shape[1] <= 1240  # fits 1280 px
        assert (image[..., :3].mean(axis=2) < 0.9).mean() > 0.01  # ink, not a blank frame
        seen.add(family)
    assert COMPARISONS | {"spectrum", "series"} <= seen
    assert page.details == len(levels(json.loads(source.read_text())))  # a series per level
    assert page.sortable == 3 and page.notes == 0
    assert len(page.verdicts) >= 6
    shot = tmp_path / "shot.png"
    result = chromium(f"--screenshot={shot}", "--window-size=1280,4000", index.as_uri(),
                      tmp_path=tmp_path)
    assert result.returncode == 0 and shot.exists()
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[1] == 1280
    non_white = (pixels[..., :3].mean(axis=2) < 0.95).mean()
    assert non_white > 0.05  # text, tables and plots, not a blank page
