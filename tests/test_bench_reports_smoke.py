"""The report bench (bench/reports.py) without its database or workers: the database it names,
the steps it reads from a generation, the goals it prints, the processes it samples and stops."""

import os
import subprocess
import sys
import time

from bench import reports as bench
from bench.database import OUT_DIR


def test_database_names():
    assert bench.reports_database_url("sqlite") == f"sqlite:///{OUT_DIR / 'reports.db'}"
    assert (
        bench.reports_database_url("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        == "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench_reports"
    )


def test_a_step_the_polling_missed_runs_into_the_next():
    moments = {"enqueued": 0.01, "started": 0.02, "snapshot": 0.05, "xlsx": 0.90, "seen": 1.0}
    spans = bench.Generation(moments).spans()
    assert "pdf" not in spans and round(spans["xlsx"], 3) == 0.85
    assert round(sum(spans.values()), 6) == 1.0
    assert round(bench.Generation(moments).total, 6) == 0.99  # from the enqueue, as the goal is put


def results(total: float, weasyprint: float, one: float, two: float) -> bench.Results:
    made = bench.Results()
    made.generations = [bench.Generation({"enqueued": 0.01, "seen": total})] * 3
    made.in_process = bench.InProcess(cold={"pdf": 0.6}, warm={"pdf": 0.5}, pdf=[weasyprint] * 4)
    made.batches = {1: bench.Batch(one, [one / 14] * 14), 2: bench.Batch(two, [two / 7] * 14)}
    return made


def test_goals_are_printed_as_pass_or_miss(capsys):
    bench.print_end_to_end(results(1.1, 1.0, 10.0, 5.0))
    bench.print_throughput(results(1.1, 1.0, 10.0, 5.0).batches)
    out = capsys.readouterr().out
    assert "PASS ≤ 1.15, both" in out and "PASS two workers ≥ 1.7× faster" in out and "2.00" in out

    bench.print_end_to_end(results(1.2, 1.0, 10.0, 6.0))
    bench.print_throughput(results(1.2, 1.0, 10.0, 6.0).batches)
    out = capsys.readouterr().out
    assert "MISS ≤ 1.15, both" in out and "MISS two workers ≥ 1.7× faster" in out


def test_the_ratio_goal_needs_the_medians_and_the_pairs(capsys):
    """The machine's speed drifts: each generation is set against the WeasyPrint run after it."""
    drifting = bench.Results()
    drifting.generations = [bench.Generation({"seen": t}) for t in (1.1, 2.2, 3.3)]
    drifting.in_process = bench.InProcess(pdf=[0.9, 1.1, 2.9, 3.1])  # around each: 1.0, 2.0, 3.0
    bench.print_end_to_end(drifting)
    assert "1.10          PASS ≤ 1.15, both" in capsys.readouterr().out

    # medians alike (2.0 / 2.0) but the pairs 1.30, 1.35 and 0.67: a miss
    drifting.generations = [bench.Generation({"seen": t}) for t in (1.3, 2.7, 2.0)]
    drifting.in_process = bench.InProcess(pdf=[1.0, 1.0, 3.0, 3.0])  # around each: 1.0, 2.0, 3.0
    bench.print_end_to_end(drifting)
    out = capsys.readouterr().out
    assert "ratio of the medians                              1.00" in out
    assert "1.30          MISS ≤ 1.15, both" in out


def test_memory_is_sampled_from_proc_with_the_children_summed():
    child = subprocess.Popen(["sleep", "10"])  # as RQ's scheduler process, a child of the worker
    try:
        time.sleep(0.1)
        memory = bench.WorkerMemory("this test", os.getpid())
        bench.sample(memory)
        assert memory.idle == memory.last > 0 and memory.peak >= memory.last
        assert memory.with_children > memory.last  # the child's RSS counted in
    finally:
        child.kill()
        child.wait()


def test_the_cpu_ceiling_is_a_gain_between_none_and_two():
    assert 0.5 < bench.cpu_ceiling(rounds=1, loops=200_000) < 2.3


def test_a_worker_that_ignores_sigterm_is_killed():
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
         "print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert stubborn.stdout.readline().strip() == "ready"
    began = time.monotonic()
    bench.stop_worker(stubborn, timeout=0.5)
    assert stubborn.returncode is not None and time.monotonic() - began < 5
    stubborn.stdout.close()
