"""The conditions a level ran under: the server's and the load generator's CPU against the
CPUs each had, and whether either was saturated — then a figure measures the machine, not the
pattern.

CPU is in percent of one CPU (200 % = two CPUs busy), as the sampler measures it. The CPUs
each side had: with pinning (`--pin`), its own set; without, every CPU of the run, shared. A
side is saturated at 90 % of what it could use: the server of its CPUs; the generator of
min(its Locust processes, its CPUs) (a Locust process runs on one CPU at a time); and where
the two share CPUs, the machine (every process on those CPUs — another job's load too) at
90 % of them, since then each side waits for the other.
"""

from __future__ import annotations

SATURATED_SHARE = 0.9


def level(server: dict, client: dict, services: dict | None, machine_pct: float | None,
          pinning: dict, cpus: int, processes: int) -> dict:
    """One level's conditions from its sampled blocks (`server`, `client`, `services`), the
    machine's CPU over the same window and the run's CPU plan (`pinning`, as in results)."""
    shared = not (pinning or {}).get("target")
    server_cpus = cpus if shared else len(pinning["target"])
    client_cpus = min(processes, cpus if shared else len(pinning["client"]))
    server_pct = server.get("cpu_mean_pct")
    client_pct = client.get("cpu_mean_pct")
    if machine_pct is None and shared and server_pct is not None:
        machine_pct = server_pct + (client_pct or 0) + ((services or {}).get("cpu_mean_pct") or 0)
    return judge({"server_cpu_pct": server_pct, "server_cpus": server_cpus,
                  "client_cpu_pct": client_pct, "client_cpus": client_cpus,
                  "machine_cpu_pct": None if machine_pct is None else round(machine_pct, 1),
                  "cpus": cpus, "shared": shared})


def judge(c: dict) -> dict:
    """`c` with `saturated` (bool) and `saturated_by` (which sides) filled in."""
    by = []
    if _over(c.get("server_cpu_pct"), c.get("server_cpus")):
        by.append("server")
    if _over(c.get("client_cpu_pct"), c.get("client_cpus")):
        by.append("generator")
    if c.get("shared") and _over(c.get("machine_cpu_pct"), c.get("cpus")):
        by.append("machine")
    return c | {"saturated": bool(by), "saturated_by": by}


def mean(levels: list[dict]) -> dict | None:
    """An arm's conditions over its repetitions: mean CPU of each side, judged again (a level
    that brushed the limit once does not make an arm saturated; a mean over it does)."""
    levels = [c for c in levels if c]
    if not levels:
        return None

    def avg(key: str) -> float | None:
        values = [c[key] for c in levels if isinstance(c.get(key), (int, float))]
        return round(sum(values) / len(values), 1) if values else None

    first = levels[0]
    return judge({"server_cpu_pct": avg("server_cpu_pct"), "server_cpus": first["server_cpus"],
                  "client_cpu_pct": avg("client_cpu_pct"), "client_cpus": first["client_cpus"],
                  "machine_cpu_pct": avg("machine_cpu_pct"), "cpus": first["cpus"],
                  "shared": first["shared"], "levels": len(levels)})


def describe(c: dict) -> str:
    """'server 186 % of 2 CPUs, generator 5 % of 1, machine 195 % of 2 (shared)'."""
    parts = [f"server {_pct(c.get('server_cpu_pct'))} of {c.get('server_cpus')} CPUs",
             f"generator {_pct(c.get('client_cpu_pct'))} of {c.get('client_cpus')}"]
    if c.get("shared"):
        parts.append(f"machine {_pct(c.get('machine_cpu_pct'))} of {c.get('cpus')} (shared)")
    return ", ".join(parts)


def _over(pct: float | None, cpus: int | None) -> bool:
    return pct is not None and bool(cpus) and pct >= SATURATED_SHARE * 100 * cpus


def _pct(v) -> str:
    return "?" if v is None else f"{v:.0f} %"
