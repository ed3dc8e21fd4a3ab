"""What the report plots, from results.json alone: one function per plot family.

- `spectrum` — per level: latency against percentile on HdrHistogram's 1/(1-p) axis, one line
  per target (each repetition its own thin line), from the stored `latency_spectrum`.
- `series` — per level: one row per target, uploads/s, p50/p99 latency per second, server RSS
  and CPU; warm-up shaded, a crash's kill and restart marked, open loop's intended vs actual
  start rate.
- `latency` — per scenario x size: p50, p99, uploads/s and RSS peak against load where two load
  levels or more were run (lines); the levels run at a single load as p50-p99 range bars.
- `phases` (where the time of a mean upload goes), `size` (MB/s and RSS against upload size),
  `completion` (acknowledged vs done), `bystander` (other requests beside uploads).

A result that repeats a level (`repetition`) is one more measurement of the same point: bars
and lines show the median over repetitions, the spectrum every repetition.
"""

from __future__ import annotations

from collections import defaultdict

from loadtests.units import format_size
from upbench.reporting.charts import (
    FULL_WIDTH_IN,
    HALF_WIDTH_IN,
    Chart,
    Styles,
    log_axis,
    log_or_linear,
    median,
    nice_ticks,
    percentile_axis,
    percentile_x,
)
from upbench.reporting.labels import level_label


class Plots:
    """The plots of one results document, in the order the report shows them."""

    def __init__(self, doc: dict, known_targets: list[str]):
        self.doc = doc
        self.results = [r for r in doc["results"] if r.get("latency_ms")]
        self.styles = Styles(known_targets, (r["target"] for r in doc["results"]))
        self.works = {self.work(r) for r in self.results}
        self.scenarios = list(dict.fromkeys(r["scenario"] for r in doc["results"]))
        self.notes: list[str] = []

    # --- naming ----------------------------------------------------------------------------

    def work(self, r: dict) -> str:
        return r.get("work") or self.doc.get("config", {}).get("work") or "?"

    def level(self, r: dict) -> tuple:
        """A level's key, sorting as the plan ran them: scenario, size, load, work."""
        load = r["load"]
        return (self.scenarios.index(r["scenario"]), r["scenario"], r["size_bytes"],
                load["model"], load["users"] or 0, load["rate"] or 0, self.work(r))

    def level_name(self, r: dict) -> str:
        work = f" · work {self.work(r)}" if len(self.works) > 1 else ""
        return f"{r['scenario']} · {format_size(r['size_bytes'])} · {level_label(r['load'])}{work}"

    def ran(self, rs: list[dict]) -> str:
        """What was run, for a caption: scenarios, sizes, loads, work, duration, warm-up."""
        config = self.doc.get("config", {})
        scenarios = ", ".join(dict.fromkeys(r["scenario"] for r in rs))
        sizes = ", ".join(format_size(s) for s in sorted({r["size_bytes"] for r in rs}))
        loads = sorted({(r["load"]["model"], r["load"]["users"] or 0, r["load"]["rate"] or 0)
                        for r in rs})
        users = [u for m, u, _ in loads if m == "closed"]
        rates = [f"{x:g}/s" for m, _, x in loads if m == "open"]
        people = f"{', '.join(map(str, users))} user{'s' if users != [1] else ''}"
        load = ", ".join(([people] if users else []) + rates)
        works = ", ".join(sorted({self.work(r) for r in rs}))
        spans = sorted({r.get("duration_s") or config.get("duration") for r in rs} - {None})
        duration = ("?" if not spans else f"{spans[0]:g}" if spans[0] == spans[-1]
                    else f"{spans[0]:g}–{spans[-1]:g}")
        warmup = config.get("warmup")
        reps = max((r.get("repetition") or 1) for r in rs)
        return (f"Ran: {scenarios} · {sizes} · {load} · work {works} · {duration} s per level"
                + (f", first {warmup:g} s warm-up left out" if warmup else "")
                + f" · {config.get('workers', '?')} workers per target"
                + (f" · {reps} repetitions" if reps > 1 else "") + ".")

    def order(self, targets) -> list[str]:
        return sorted(set(targets), key=lambda t: (self.styles.index.get(t, 0), t))

    def by_level(self, rs: list[dict]) -> dict[tuple, list[dict]]:
        out = defaultdict(list)
        for r in sorted(rs, key=self.level):
            out[self.level(r)].append(r)
        return dict(out)

    @staticmethod
    def by_target(rs: list[dict]) -> dict[str, list[dict]]:
        out = defaultdict(list)
        for r in rs:
            out[r["target"]].append(r)
        return out

    @staticmethod
    def value(reps: list[dict], block: str, key: str) -> float | None:
        return median((r.get(block) or {}).get(key) for r in reps)

    def entry(self, family: str, section: str, chart: Chart, title: str, caption: str,
              levels: list[str], wide: bool = False) -> dict:
        meta = {"kind": "lines" if chart.meta["lines"] else "bars", **chart.meta,
                "family": family, "levels": levels}
        return {"family": family, "section": section, "title": title, "caption": caption,
                "wide": wide, "meta": meta, "png": chart.png()}

    # --- the families ----------------------------------------------------------------------

    def all(self) -> list[dict]:
        out = []
        for build in (self.spectra, self.comparisons, self.phases, self.sizes, self.completion,
                      self.bystander, self.series):
            out.extend(build())
        return out

    def spectra(self) -> list[dict]:
        out = []
        levels = self.by_level(self.results)
        if not any(r.get("latency_spectrum") for r in self.results):
            if self.results:
                self.notes.append("No latency spectra: these results were written before "
                                  "upbench stored `latency_spectrum`; re-run to see them.")
            return out
        for rs in levels.values():
            drawn = [r for r in rs if r.get("latency_spectrum")]
            if drawn:
                out.append(self._spectrum(drawn))
        return out

    def _spectrum(self, rs: list[dict]) -> dict:
        chart = Chart(width=HALF_WIDTH_IN, height=3.7)
        ax = chart.axes[0]
        largest = 10.0
        groups = self.by_target(rs)
        for target in self.order(groups):
            reps = groups[target]
            for i, r in enumerate(reps):
                count = (r["latency_ms"] or {}).get("count")
                xs = [percentile_x(p, count) for p, _ in r["latency_spectrum"]]
                largest = max(largest, *xs)
                chart.line(ax, xs, [v for _, v in r["latency_spectrum"]],
                           target if i == 0 else None, self.styles.color(target),
                           self.styles.dash(target), linewidth=1.6 if len(reps) == 1 else 1.0)
        percentile_axis(ax, largest)
        log_axis(ax, "y")
        ax.grid(alpha=0.3, which="both")
        ax.set(xlabel="percentile", ylabel="latency (ms)")
        name = self.level_name(rs[0])
        ax.set_title(name, fontsize=10)
        chart.legend_right(ax)
        return self.entry("spectrum", "distribution", chart, f"Latency spectrum — {name}",
                          f"{self.ran(rs)} Latency = last response byte − start (open loop: "
                          "intended start) of every successful upload after the warm-up, HDR "
                          "histogram; the last point of each line is the max.", [name])

    def comparisons(self) -> list[dict]:
        """Lines against load where a scenario x size ran at two loads or more; the rest as
        range bars, one row of panels per level."""
        groups = defaultdict(list)
        for r in self.results:
            groups[self.level(r)[:4] + (self.work(r),)].append(r)
        out, single = [], []
        for key in sorted(groups):
            rs = groups[key]
            loads = {self._load(r) for r in rs}
            if len(loads) >= 2:
                out.append(self._against_load(rs))
            else:
                single.extend(rs)
        if single:
            out.append(self._one_load(single))
        return out

    @staticmethod
    def _load(r: dict) -> float:
        return r["load"]["users"] if r["load"]["model"] == "closed" else r["load"]["rate"]

    def _against_load(self, rs: list[dict]) -> dict:
        panels = [("latency_ms", "p50", "latency p50 (ms)"), ("latency_ms", "p99", "latency p99 (ms)"),
                  ("throughput", "rps", "uploads/s"), ("server", "rss_peak_mb", "server RSS peak (MB)")]
        chart = Chart(1, 4, width=FULL_WIDTH_IN, height=3.3)
        groups = self.by_target(rs)
        xs_all = sorted({self._load(r) for r in rs})
        closed = rs[0]["load"]["model"] == "closed"
        for ax, (block, key, label) in zip(chart.axes, panels, strict=True):
            values = []
            for target in self.order(groups):
                points = defaultdict(list)
                for r in groups[target]:
                    points[self._load(r)].append(r)
                xs = sorted(points)
                ys = [self.value(points[x], block, key) for x in xs]
                values += ys
                chart.line(ax, xs, ys, target, self.styles.color(target),
                           self.styles.dash(target), marker="o", markersize=4)
            nice_ticks(ax, xs_all)
            if block == "latency_ms":
                log_or_linear(ax, values)
            ax.set(xlabel="concurrent users" if closed else "arrivals/s", ylabel=label)
            ax.grid(alpha=0.3)
        chart.legend_right()
        r0 = rs[0]
        what = f"{r0['scenario']} · {format_size(r0['size_bytes'])}"
        if len(self.works) > 1:
            what += f" · work {self.work(r0)}"
        chart.fig.suptitle(f"{what}: latency, throughput and memory against load", fontsize=11)
        return self.entry("latency", "comparison", chart, f"{what} against load",
                          f"{self.ran(rs)} Each point one level (median over repetitions); "
                          "latency from HDR histograms of the raw samples; RSS of the whole "
                          "server process tree.", [self.level_name(r) for r in rs], wide=True)

    def _one_load(self, rs: list[dict]) -> dict:
        levels = self.by_level(rs)
        chart = Chart(len(levels), 3, width=FULL_WIDTH_IN,
                      height=0.9 + sum(0.28 * len({r["target"] for r in v}) + 0.55
                                       for v in levels.values()),
                      gridspec_kw={"height_ratios": [len({r["target"] for r in v})
                                                     for v in levels.values()]})
        for row, level_rs in zip(chart.grid, levels.values(), strict=True):
            groups = self.by_target(level_rs)
            names = self.order(groups)
            colors = [self.styles.color(t) for t in names]
            p50 = [self.value(groups[t], "latency_ms", "p50") for t in names]
            p99 = [self.value(groups[t], "latency_ms", "p99") for t in names]
            chart.range_bars(row[0], names, p50, p99, colors)
            row[0].set_title(f"{self.level_name(level_rs[0])}: latency p50 / p99 (ms)",
                             fontsize=9, loc="left")
            chart.bars(row[1], names, [self.value(groups[t], "throughput", "rps") for t in names],
                       colors, "{:.1f}")
            row[1].set_title("uploads/s", fontsize=9, loc="left")
            chart.bars(row[2], names, [self.value(groups[t], "server", "rss_peak_mb")
                                       for t in names], colors, "{:.0f}")
            row[2].set_title("server RSS peak (MB)", fontsize=9, loc="left")
            for ax in row[1:]:
                ax.set_yticklabels([])
        chart.meta["kind"] = "bars"
        return self.entry("latency", "comparison", chart, "Levels run at a single load",
                          f"{self.ran(rs)} One load per level, so bars, not lines: latency "
                          "p50 solid, p99 light (values at the bar's end).",
                          [self.level_name(v[0]) for v in levels.values()], wide=True)

    def _level_panels(self, levels: dict, title: str, draw, width=FULL_WIDTH_IN) -> Chart:
        """Small multiples: one panel per level, up to three per row, targets on y."""
        cols = min(3, len(levels))
        rows = -(-len(levels) // cols)
        tallest = max(len({r["target"] for r in v}) for v in levels.values())
        chart = Chart(rows, cols, width=width, height=0.7 + rows * (0.28 * tallest + 0.8))
        for ax, level_rs in zip(chart.axes, levels.values(), strict=False):
            draw(chart, ax, level_rs)
            ax.set_title(self.level_name(level_rs[0]), fontsize=9, loc="left")
        for ax in chart.axes[len(levels):]:
            ax.set_visible(False)
        chart.fig.suptitle(title, fontsize=11)
        return chart

    def phases(self) -> list[dict]:
        rs = [r for r in self.results if (r.get("sending_ms") or {}).get("mean") is not None]
        if not rs:
            return []
        levels = self.by_level(rs)

        def draw(chart, ax, level_rs):
            groups = self.by_target(level_rs)
            names = self.order(groups)
            for i, t in enumerate(names):
                send = self.value(groups[t], "sending_ms", "mean") or 0
                wait = self.value(groups[t], "waiting_ms", "mean") or 0
                total = self.value(groups[t], "latency_ms", "mean") or 0
                left = 0.0
                for part, alpha, hatch in ((send, 1.0, ""), (wait, 0.55, ""),
                                           (max(total - send - wait, 0), 0.25, "//")):
                    ax.barh(i, part, left=left, height=0.6, color=self.styles.color(t),
                            alpha=alpha, hatch=hatch, edgecolor="white", linewidth=0.5)
                    left += part
                chart.meta["bars"] += 1
            chart.target_axis(ax, names, [self.styles.color(t) for t in names])
            ax.set_xlabel("ms (mean)", fontsize=8)

        chart = self._level_panels(levels, "Where the time of an upload goes: sending (solid), "
                                   "waiting (light), receiving (hatched), means", draw)
        chart.meta["kind"] = "bars"
        return [self.entry("phases", "comparison", chart, "Phases of an upload",
                           f"{self.ran(rs)} k6's split: sending = body handed to the socket − "
                           "start, waiting = first response byte − sent, receiving = the rest; "
                           "means, so the three add up to the mean latency.",
                           [self.level_name(v[0]) for v in levels.values()], wide=True)]

    def sizes(self) -> list[dict]:
        """MB/s and RSS peak against upload size, at each scenario's highest load."""
        groups = defaultdict(list)
        for r in self.results:
            groups[self.level(r)[:2] + (r["load"]["model"], self.work(r))].append(r)
        out = []
        for key in sorted(groups):
            top = max(self._load(r) for r in groups[key])
            rs = [r for r in groups[key] if self._load(r) == top]
            if len({r["size_bytes"] for r in rs}) < 2:
                continue
            chart = Chart(1, 2, width=FULL_WIDTH_IN * 0.8, height=3.3)
            by = self.by_target(rs)
            for ax, (block, k, label) in zip(chart.axes, (("throughput", "mbps", "MB/s"), (
                    "server", "rss_peak_mb", "server RSS peak (MB)")), strict=True):
                for target in self.order(by):
                    points = defaultdict(list)
                    for r in by[target]:
                        points[r["size_bytes"]].append(r)
                    xs = sorted(points)
                    chart.line(ax, xs, [self.value(points[x], block, k) for x in xs], target,
                               self.styles.color(target), self.styles.dash(target), marker="o",
                               markersize=4)
                nice_ticks(ax, [r["size_bytes"] for r in rs], format_size)
                ax.set(xlabel="upload size", ylabel=label)
                ax.grid(alpha=0.3)
            chart.legend_right()
            what = f"{key[1]} at {level_label(rs[0]['load'])}"
            chart.fig.suptitle(f"{what}: throughput and memory against upload size", fontsize=11)
            out.append(self.entry("size", "comparison", chart, f"{what} against upload size",
                                  f"{self.ran(rs)} RSS peak of the whole server process tree "
                                  "(server, workers, sidecars).",
                                  [self.level_name(r) for r in rs], wide=True))
        return out

    def completion(self) -> list[dict]:
        """Acknowledged vs done where some target answers before the work is done (202)."""
        def gap(r):
            a, b = (r["latency_ms"] or {}).get("p50"), (r.get("completion_ms") or {}).get("p50")
            return a and b and b > a * 1.05

        levels = {k: v for k, v in self.by_level(self.results).items() if any(map(gap, v))}
        if not levels:
            return []

        def draw(chart, ax, level_rs):
            groups = self.by_target(level_rs)
            names = self.order(groups)
            for i, t in enumerate(names):
                ack = self.value(groups[t], "latency_ms", "p50")
                done = self.value(groups[t], "completion_ms", "p50")
                color = self.styles.color(t)
                if ack is None or done is None:
                    continue
                ax.plot([ack, done], [i, i], "-", color=color, linewidth=2, alpha=0.6)
                ax.plot([ack], [i], "o", color=color, markerfacecolor="white")
                ax.plot([done], [i], "s", color=color)
                chart.meta["bars"] += 1
            chart.target_axis(ax, names, [self.styles.color(t) for t in names])
            log_or_linear(ax, [v for t in names for v in (
                self.value(groups[t], "latency_ms", "p50"),
                self.value(groups[t], "completion_ms", "p50"))], "x")
            ax.set_xlabel("ms (p50)", fontsize=8)

        rs = [r for v in levels.values() for r in v]
        chart = self._level_panels(levels, "Acknowledged (open circle) vs done (square), p50",
                                   draw)
        chart.meta["kind"] = "bars"
        return [self.entry("completion", "comparison", chart, "Acknowledged vs done",
                           f"{self.ran(rs)} 202 patterns answer before the work is done; done = "
                           "the upload's status became final (polled on GET /uploads/<id>).",
                           [self.level_name(v[0]) for v in levels.values()], wide=True)]

    def bystander(self) -> list[dict]:
        rs = [r for r in self.doc["results"] if r.get("bystander_ms")]
        if not rs:
            return []
        levels = self.by_level(rs)

        def draw(chart, ax, level_rs):
            groups = self.by_target(level_rs)
            names = self.order(groups)
            p50 = [self.value(groups[t], "bystander_ms", "p50") for t in names]
            chart.range_bars(ax, names, p50, [self.value(groups[t], "bystander_ms", "p99")
                                              for t in names],
                             [self.styles.color(t) for t in names])
            ax.set_xlabel("ms: p50 (solid) / p99 (light)", fontsize=8)

        chart = self._level_panels(levels, "What other requests (GET /health) see beside "
                                   "uploads", draw, width=FULL_WIDTH_IN * (0.55 if len(levels) == 1
                                                                           else 1))
        chart.meta["kind"] = "bars"
        return [self.entry("bystander", "comparison", chart, "Bystander latency",
                           f"{self.ran(rs)} Bystander users GET /health every 50 ms while "
                           "the uploads run.", [self.level_name(v[0]) for v in levels.values()],
                           wide=len(levels) > 1)]

    def series(self) -> list[dict]:
        """Per level, one row per target: what happened second by second."""
        rs = [r for r in self.results if r.get("series")]
        if not rs:
            if self.results:
                self.notes.append("No time series: these results were written before upbench "
                                  "stored `series`; re-run to see them.")
            return []
        out = []
        for level_rs in self.by_level(rs).values():
            groups = self.by_target(level_rs)
            names = self.order(groups)
            reps = [groups[t][0] for t in names]  # the first repetition of each target
            chart = Chart(len(names), 4, width=FULL_WIDTH_IN, height=0.8 + 1.45 * len(names),
                          sharex=True, sharey="col")
            aligned = True
            for row, r in zip(chart.grid, reps, strict=True):
                aligned &= self._series_row(chart, row, r)
            top = chart.grid[0]
            for ax in (top[0], top[3]):  # rates and CPU from 0, over every row (shared y)
                ax.relim()
                ax.autoscale_view()
                ax.set_ylim(bottom=0)
            log_axis(top[1], "y")
            # a little of the baseline before the first upload; the timeline's tail after the
            # level (completion polls, the integrity check) is not the level
            end = max(r["series"]["t"][-1] + r["series"]["bucket_s"] for r in reps)
            top[0].set_xlim(-0.5, end + 0.5)
            for ax, label in zip(chart.grid[0], ("uploads/s (failures ×)", "latency ms "
                                 "(p50 solid, p99 dashed)", "server RSS (MB)",
                                 "server CPU (%)"), strict=True):
                ax.set_title(label, fontsize=9, loc="left")
            for ax in chart.grid[-1]:
                ax.set_xlabel("seconds into the level", fontsize=8)
            name = self.level_name(reps[0])
            chart.fig.suptitle(f"Inside the level — {name}", fontsize=11)
            caption = (f"{self.ran(level_rs)} Per {reps[0]['series']['bucket_s']:g} s: uploads "
                       "completed (by their last byte) and their p50/p99 latency; RSS and CPU "
                       "of the server process tree (psutil, 0.2 s). Grey: warm-up (left out "
                       "of the figures).")
            if any(r.get("crash") for r in reps):
                caption += " Red line: the target killed; green: ready again."
            if any("intended_rps" in r["series"] for r in reps):
                caption += " Open loop: dotted = intended start rate, thin = actual starts."
            if not aligned:
                caption += " (RSS/CPU clock not aligned: results written before the timeline's t0.)"
            if any(len(g) > 1 for g in groups.values()):
                caption += " First repetition of each target shown."
            out.append(self.entry("series", "series", chart, f"Inside the level — {name}",
                                  caption, [name], wide=True))
        return out

    def _series_row(self, chart: Chart, row, r: dict) -> bool:
        s, tl = r["series"], r.get("timeline") or {}
        color, target = self.styles.color(r["target"]), r["target"]
        mid = [t + s["bucket_s"] / 2 for t in s["t"]]

        def line(ax, xs, ys, what, col=color, dash="-", **kw):
            chart.line(ax, xs, ys, f"{target} {what}", col, dash, legend=False, **kw)

        line(row[0], mid, s["rps"], "uploads/s", marker="o", markersize=3)
        if "intended_rps" in s:
            line(row[0], mid, s["intended_rps"], "intended starts/s", "black", ":", linewidth=1)
            line(row[0], mid, s["issued_rps"], "actual starts/s", "black", linewidth=0.6)
        failed = [(m, f / s["bucket_s"]) for m, f in zip(mid, s["failed"], strict=True) if f]
        if failed:
            row[0].plot([m for m, _ in failed], [f for _, f in failed], "x", color="#b3261e")
        line(row[1], mid, s["p50_ms"], "p50", marker="o", markersize=3)
        line(row[1], mid, s["p99_ms"], "p99", dash="--", marker="o", markersize=3)
        shift = tl["t0"] - s["t0"] if "t0" in tl else 0.0
        tts = [t + shift for t in tl.get("t", [])]
        line(row[2], tts, tl.get("rss_mb", []), "RSS")
        line(row[3], tts[1:], tl.get("cpu_pct", [])[1:], "CPU")  # the first reading is 0
        row[0].set_ylabel(target, color=color, fontsize=9, fontweight="bold")
        crash = r.get("crash")
        if s.get("warmup_s"):
            chart.meta["marks"].append(f"{target} warm-up")
        if crash:
            chart.meta["marks"] += [f"{target} killed", f"{target} ready"]
        for ax in row:
            if s.get("warmup_s"):
                ax.axvspan(0, s["warmup_s"], color="#999", alpha=0.18, linewidth=0)
            if crash:
                ax.axvline(crash["killed_at"] - s["t0"], color="#b3261e", linewidth=1.2)
                ax.axvline(crash["ready_at"] - s["t0"], color="#16702e", linewidth=1.2)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
        return "t0" in tl or not tts
