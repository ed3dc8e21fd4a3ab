"""index.html from results.json alone: self-contained (plots are embedded PNGs), so `report`
can re-render any stored run and nothing here ever generates load."""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from loadtests.units import format_size
from upbench.paths import TEMPLATES
from upbench.reporting import findings


def render(doc: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display; also keeps the report deterministic
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    env.filters["size"] = format_size
    env.filters["ms"] = lambda v: f"{v:,.1f}" if isinstance(v, (int, float)) else "-"
    html = env.get_template("report.html.j2").render(
        doc=doc, plots=plots(doc), rows=_rows(doc), skipped=_skipped(doc),
        summary=doc.get("summary") or findings.summarize(doc),
        external=[v for v in doc["verify"] if v.get("external")],
        phases=any(r.get("tls_handshaking_ms") for r in doc["results"]),
        resumes=[r for r in _rows(doc) if r.get("resume")])
    path.write_text(html)


def plots(doc: dict) -> list[dict]:
    """[{title, family, png (base64), caption}] — one per metric family that has data."""
    results = doc["results"]
    out = []
    for size in sorted({r["size_bytes"] for r in results}):
        rs = [r for r in results if r["size_bytes"] == size and r["scenario"] == "upload"]
        closed = [r for r in rs if r["load"]["model"] == "closed"]
        if closed:
            out.append(_figure(
                "latency", f"Upload latency vs users — {format_size(size)}",
                _by_target(closed, lambda r: r["load"]["users"],
                           ("latency_ms", "p50"), ("latency_ms", "p99")),
                "concurrent users", "latency (ms)",
                "solid: p50, dashed: p99 (HDR histograms of raw samples)"))
            out.append(_figure(
                "ttfb", f"TTFB and waiting (p50) vs users — {format_size(size)}",
                _by_target(closed, lambda r: r["load"]["users"],
                           ("ttfb_ms", "p50"), ("waiting_ms", "p50")),
                "concurrent users", "ms",
                "solid: TTFB = first byte − start; dashed: waiting = first byte − body sent"))
    sized = [r for r in results if r["scenario"] == "upload"]
    if len({r["size_bytes"] for r in sized}) > 1:
        top = _top_load(sized)
        out.append(_figure("throughput", "Throughput vs upload size (highest load level)",
                           _by_target(top, lambda r: r["size_bytes"] / 1e6,
                                      ("throughput", "mbps")),
                           "upload size (MB)", "MB/s", "", logx=True))
        out.append(_figure("memory", "Server RSS peak vs upload size (highest load level)",
                           _by_target(top, lambda r: r["size_bytes"] / 1e6,
                                      ("server", "rss_peak_mb")),
                           "upload size (MB)", "RSS peak (MB)",
                           "whole process tree: server, workers, sidecars", logx=True))
    done = [r for r in results if r["completion_ms"] and r["latency_ms"]]
    if done:
        out.append(_bars("completion", "Acknowledged vs done (p50, largest load)",
                         _top_load(done), [("latency_ms", "p50", "acknowledged"),
                                           ("completion_ms", "p50", "done")], "ms",
                         "202 patterns answer before the work is done; done = status final"))
    mixed = [r for r in results if r.get("bystander_ms")]
    if mixed:
        out.append(_bars("bystander", "Bystander GET /health latency beside uploads",
                         _top_load(mixed), [("bystander_ms", "p50", "p50"),
                                            ("bystander_ms", "p99", "p99")], "ms",
                         "what every other request sees while uploads run"))
    timeline = _largest_timelines(results)
    if timeline:
        out.append(_timeline_figure(timeline))
    return out


# --- figures ----------------------------------------------------------------------------------

def _figure(family, title, series, xlabel, ylabel, caption, logx=False) -> dict:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4))
    styles = ["-", "--", ":"]
    for i, (target, lines) in enumerate(sorted(series.items())):
        color = f"C{i % 10}"
        for j, (xs, ys) in enumerate(lines):
            ax.plot(xs, ys, styles[j % 3], marker="o", color=color,
                    label=target if j == 0 else None)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logx:
        ax.set_xscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return {"family": family, "title": title, "png": _png(fig), "caption": caption}


def _bars(family, title, rs, metrics, ylabel, caption) -> dict:
    import matplotlib.pyplot as plt

    labels = [f"{r['target']}\n{r['scenario']} {format_size(r['size_bytes'])}" for r in rs]
    fig, ax = plt.subplots(figsize=(max(7.5, 0.9 * len(rs) + 2), 4))
    width = 0.8 / len(metrics)
    for i, (block, key, name) in enumerate(metrics):
        values = [((r.get(block) or {}).get(key) or 0) for r in rs]
        ax.bar([x + i * width for x in range(len(rs))], values, width, label=name)
    ax.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(rs))], labels,
                  fontsize=7, rotation=30, ha="right")
    ax.set(title=title, ylabel=ylabel)
    ax.set_yscale("log")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return {"family": family, "title": title, "png": _png(fig), "caption": caption}


def _timeline_figure(timelines: dict) -> dict:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4))
    for target, (r, tl) in sorted(timelines.items()):
        ax.plot(tl["t"], tl["rss_mb"], label=f"{target} ({format_size(r['size_bytes'])}, "
                                             f"{r['load']['users'] or r['load']['rate']})")
    ax.set(title="Server RSS over time (largest upload size)", xlabel="seconds into the level",
           ylabel="RSS (MB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return {"family": "rss-timeline", "title": "Server RSS over time", "png": _png(fig),
            "caption": "psutil samples of the whole process tree, every 0.2 s"}


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


# --- data shaping -----------------------------------------------------------------------------

def _by_target(rs, x, *metrics) -> dict:
    """{target: [(xs, ys) per metric]} sorted by x, skipping missing values."""
    grouped = defaultdict(list)
    for r in rs:
        grouped[r["target"]].append(r)
    out = {}
    for target, items in grouped.items():
        items.sort(key=x)
        lines = []
        for block, key in metrics:
            pts = [(x(r), (r.get(block) or {}).get(key)) for r in items]
            pts = [(a, b) for a, b in pts if b is not None]
            lines.append(([a for a, _ in pts], [b for _, b in pts]))
        out[target] = lines
    return out


def _top_load(rs) -> list[dict]:
    """Per (target, scenario, size), the result at the highest load level."""
    best = {}
    for r in rs:
        key = (r["target"], r["scenario"], r["size_bytes"])
        load = r["load"]["users"] or r["load"]["rate"] or 0
        if key not in best or load > (best[key]["load"]["users"] or best[key]["load"]["rate"] or 0):
            best[key] = r
    return [best[k] for k in sorted(best)]


def _largest_timelines(results) -> dict:
    out = {}
    for r in results:
        tl = r.get("timeline") or {}
        if not tl.get("t"):
            continue
        current = out.get(r["target"])
        if current is None or (r["size_bytes"], r["load"]["users"] or 0) > \
                (current[0]["size_bytes"], current[0]["load"]["users"] or 0):
            out[r["target"]] = (r, tl)
    return out


def _rows(doc) -> list[dict]:
    return sorted(doc["results"], key=lambda r: (r["target"], r["scenario"], r["size_bytes"],
                                                 r["load"]["users"] or 0, r["load"]["rate"] or 0))


def _skipped(doc) -> list[dict]:
    return [v for v in doc["verify"] if not v["ok"]]
