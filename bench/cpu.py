"""Who used the CPU while a bench run served and measured: this run, the database server, others.

Linux only (/proc). "This run" is the bench process and the processes it started and reaped
(gunicorn and its workers, the embedded Redis); "database server" is the PostgreSQL backends
serving the bench database (matched by name in their command line), which are not our children.
"""

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def _backends(db_name: str | None) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend whose command line names ``db_name``."""
    if not db_name:
        return {}
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            if not cmdline.startswith("postgres:") or f" {db_name} " not in cmdline:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(proc.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    return found


class CpuMeter:
    def __init__(self, db_name: str | None = None):
        self.db_name = db_name
        self.t0, self.busy0, self.own0 = time.monotonic(), _machine_busy(), sum(os.times()[:4])
        self.backends0 = _backends(db_name)
        self.backends1: dict[int, float] = {}

    def mark_backends(self) -> None:
        """Read the backends' CPU while they live (call before stopping gunicorn)."""
        self.backends1 = _backends(self.db_name)

    def summary(self) -> str:
        """Call after the started processes were reaped, so that their CPU counts as this run's."""
        wall = time.monotonic() - self.t0
        busy = _machine_busy() - self.busy0
        own = sum(os.times()[:4]) - self.own0
        server = sum(v - self.backends0.get(pid, 0.0) for pid, v in self.backends1.items())
        others = max(0.0, busy - own - server)
        db_part = f", PostgreSQL backends {server / wall:.2f}" if self.db_name else ""
        return (
            f"CPU while serving and measuring ({wall:.0f} s, {os.cpu_count()} cores): this run "
            f"{own / wall:.2f} cores{db_part}, other processes {others / wall:.2f} cores; "
            f"load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
        )
