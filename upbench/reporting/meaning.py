""""What it means": the verdicts read together, at the top of the report and in the terminal.

Generated from the stored verdicts alone: per seed, which of its advice holds on this machine,
which does not and which stayed undecided, then the hidden costs — each sentence the claim's own
`meaning` (declared on the claim, so a new claim plugs in with no change here; results written
before `meaning` existed get a generic sentence from the claim's line) and a link to its
section. A first line names the machine and how many verdicts rest on saturated arms.
"""

from __future__ import annotations

from upbench.claims import SEED_TITLES
from upbench.claims.judge import generic_meaning

ORDER = {"holds": 0, "does not hold": 1, "inconclusive": 2}


def synthesis(doc: dict) -> dict | None:
    """{"machine": str, "groups": [{"title", "counts", "sentences": [{"id", "verdict",
    "text"}]}]}, or None when the run judged no claim."""
    judged = [v for v in doc.get("verdicts") or []
              if v.get("id") and v.get("verdict") in ORDER]
    if not judged:
        return None
    groups: dict[str, list[dict]] = {}
    for v in sorted(judged, key=lambda v: ORDER[v["verdict"]]):
        groups.setdefault(_group(v["seed"]), []).append(v)
    return {"machine": machine(doc, judged),
            "groups": [{"title": title, "counts": _counts(vs),
                        "sentences": [{"id": v["id"], "verdict": v["verdict"],
                                       "text": v.get("meaning")
                                       or generic_meaning(v.get("claim") or v["id"],
                                                          v["verdict"])} for v in vs]}
                       for title, vs in sorted(groups.items(), key=lambda g: _key(g[0]))]}


def machine(doc: dict, judged: list[dict]) -> str:
    """'Measured on 2 CPUs shared by the load generator and the servers; 9 of 60 levels ran
    with a side saturated, and 4 of 15 judged claims rest on such arms (...).'"""
    env, pin = doc.get("environment") or {}, doc.get("pinning") or {}
    cpus = len(env.get("cpu_affinity") or []) or env.get("cpus")
    if pin.get("target"):
        where = (f"the servers on {len(pin['target'])} of {cpus} CPUs, the load generator on "
                 f"{len(pin['client'])} others (pinned apart)")
    else:
        where = f"{cpus} CPUs shared by the load generator and the servers"
    levels = [r["conditions"] for r in doc.get("results") or [] if r.get("conditions")]
    if not levels:
        return f"Measured on {where}; CPU conditions were not recorded in this run."
    hot = sum(bool(c.get("saturated")) for c in levels)
    tail = f"; {hot} of {len(levels)} levels ran with a side saturated"
    resting = [v for v in judged if any((c or {}).get("saturated")
                                        for c in (v.get("conditions") or {}).values())]
    if resting:
        tail += (f", and {len(resting)} of {len(judged)} judged claims rest on such arms (a "
                 "verdict not about saturation is then inconclusive)")
    return f"Measured on {where}{tail}."


def lines(doc: dict) -> list[str]:
    """The same as plain text, one line per seed group, for the terminal."""
    made = synthesis(doc)
    if not made:
        return []
    out = [made["machine"]]
    for g in made["groups"]:
        out.append(f"{g['title']} ({g['counts']}): "
                   + " ".join(f"{s['text']} [{s['id']}]" for s in g["sentences"]))
    return out


def _group(seed: str) -> str:
    number = seed.split()[0]
    title = SEED_TITLES.get(number, "")
    if "hidden" in seed:
        return f"Hidden costs (seed {number})"
    return f"Seed {number}" + (f", “{title}”" if title else "")


def _key(title: str) -> tuple:
    return ("Hidden" in title, title)


def _counts(vs: list[dict]) -> str:
    n = {k: sum(v["verdict"] == k for v in vs) for k in ORDER}
    parts = [f"{n['holds']} hold{'s' if n['holds'] == 1 else ''}"] if n["holds"] else []
    parts += [f"{n['does not hold']} {'does' if n['does not hold'] == 1 else 'do'} not"] \
        if n["does not hold"] else []
    parts += [f"{n['inconclusive']} undecided"] if n["inconclusive"] else []
    return ", ".join(parts)
