"""Benchmark of report generation by RQ workers: a report end to end, throughput, worker memory.

    .venv/bin/python -m bench.reports [--db sqlite|URL] [--repeat N] [--keep]

Builds the demo district (``build_demo``, which carries its reports up to 20 March 2020 through
the workflow; the ones measured are put back to draft so they can be generated again; and
``reports.schedule`` for any instance still owed that day), starts an embedded Redis (unless
REDIS_URL is set) and ``python worker.py <queue>`` workers, and measures: the district's quarterly
report from the request to its PDF stored (``request`` → commit → ``dispatch`` → the instance is
draft, its version row written, its PDF on disk) with one idle worker, against WeasyPrint alone
printing the same final HTML in the same worker; the 14 communes' monthly reports asked for
at once, with one and with two workers, beside this machine's own ceiling for two processes; the
memory of each worker (jobs run in its own process: RQ's SimpleWorker). Goals are printed as
PASS / MISS, never asserted. See bench/README.md.
"""

import argparse
import gc
import itertools
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psutil
from flask import Flask
from redis import Redis
from rq import Queue, Worker
from rq.job import Job, JobStatus
from sqlalchemy import and_, select, update
from sqlalchemy.engine import make_url

from app import create_app
from app.config import Config
from app.extensions import db
from app.models import ReportDefinition, ReportInstance, ReportVersion
from app.models.reports import ReportStatus
from app.services import report_content, report_document, report_generation, reports
from app.services.demo import AS_OF, build_demo
from app.tasks.queues import redis_client
from bench.cpu import CpuMeter
from bench.database import OUT_DIR, ROOT, create_database, migrate
from bench.registry import analyze, code_revision, pg_database, run_on
from bench.server import Services

T = TypeVar("T")

QUARTERLY = ("programme_quarterly", "2020-Q1")  # huyện Bạch Thông's
MONTHLY = ("task_progress_monthly", "2020-03")  # each commune's
COMMUNES = 14
GOAL_RATIO = 1.15  # end to end ÷ WeasyPrint alone, at most
GOAL_SPEEDUP = 1.7  # two workers against one, at least
POLL_ONE = 0.010  # seconds between looks at the database while one report is generated
POLL_MANY = 0.030  # … while many are (the bench shares the two cores with the workers)
SAMPLE_EVERY = 0.020  # seconds between memory samples
BACKENDS_EVERY = 10  # memory samples between reads of the PostgreSQL backends' CPU
TIME_LIMIT = 300.0  # seconds a generation may take before the bench gives up
CEILING_LOOP = 3_000_000  # iterations of ``spin``: ~0.3–0.5 s
MIB = 1024 * 1024
#: the moments of one generation, in order: (key, what happened since the one before)
MOMENTS = [
    ("enqueued", "request, commit (this process; not counted)"),
    ("started", "queue → job started (RQ, in the worker)"),
    ("snapshot", "lease taken, leftovers removed"),
    ("pdf", "snapshot built (report_content.build)"),
    ("xlsx", "PDF rendered (render_html + WeasyPrint)"),
    ("store", "XLSX rendered"),
    ("seen", "files stored, version recorded, job ended"),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite (bench/out/) or a PostgreSQL URL")
    parser.add_argument("--repeat", type=int, default=15, help="end-to-end generations and WeasyPrint runs")
    parser.add_argument("--keep", action="store_true", help="keep the database and the stored files")
    parser.set_defaults(reuse=False)  # run_on's option; this bench always builds afresh
    return parser.parse_args(argv)


def reports_database_url(spec: str) -> str:
    """``sqlite`` → bench/out/reports.db; a PostgreSQL URL → a dedicated ``<db>_bench_reports``."""
    if spec == "sqlite":
        return f"sqlite:///{OUT_DIR / 'reports.db'}"
    if spec.startswith("sqlite"):
        return spec
    url = make_url(spec)
    return url.set(database=f"{url.database or 'postgres'}_bench_reports").render_as_string(
        hide_password=False
    )


@dataclass(frozen=True)
class Setup:
    """Where the run's database, Redis, files and queue are: the app's and the workers' settings."""

    url: str
    redis_url: str
    storage: Path
    queue: str
    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY") or "bench-reports")

    def app(self) -> Flask:
        config = type(
            "ReportsBenchConfig",
            (Config,),
            {
                "SQLALCHEMY_DATABASE_URI": self.url,
                "REDIS_URL": self.redis_url,
                "SECRET_KEY": self.secret_key,
                "STORAGE_DIR": str(self.storage),
                "REPORTS_QUEUE": self.queue,
                "RQ_QUEUES": (self.queue,),
                "TODAY": AS_OF,
            },
        )
        return create_app(config)

    def worker_env(self) -> dict[str, str]:
        """What tests/tasks/test_report_jobs.py gives a real worker, on the demo's day."""
        return os.environ | {
            "DATABASE_URL": self.url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": self.secret_key,
            "STORAGE_DIR": str(self.storage),
            "REPORTS_QUEUE": self.queue,
            "APP_TODAY": AS_OF.isoformat(),
        }


def timed(call: Callable[[], T]) -> tuple[float, T]:
    began = time.perf_counter()
    value = call()
    return time.perf_counter() - began, value


# -- build ----------------------------------------------------------------------------------------


def build(setup: Setup) -> Flask:
    """A fresh database: the migrations, the demo district (with its reports up to the demo's day,
    carried through the workflow), the planner's statistics, and any instance still owed on that
    day (``reports.schedule``). Returns the bench's app on it."""
    began = time.perf_counter()
    create_database(setup.url)
    app = setup.app()
    migrate(app)
    with app.app_context():
        build_demo()
        db.session.commit()
        analyze()
        added = reports.schedule(AS_OF)
        db.session.commit()
        reset = make_generatable(owed_ids(*QUARTERLY) + owed_ids(*MONTHLY))
        print(
            f"built the demo district in {setup.url}: {len(added)} more reports owed on {AS_OF}; "
            f"back to draft: {', '.join(f'{n} {status}' for status, n in reset.items()) or 'none'}; ",
            end="",
        )
        db.session.remove()
    print(f"{time.perf_counter() - began:.1f} s")
    return app


def make_generatable(instance_ids: list[int]) -> Counter:
    """The demo carries its reports through the workflow: of the communes' March reports some are
    submitted or approved, which no one may generate again. Put those back to draft (as if not yet
    submitted), so that the bench can ask for new versions; returns how many of each status."""
    rows = db.session.execute(
        select(ReportInstance.id, ReportInstance.status).where(
            ReportInstance.id.in_(instance_ids), ReportInstance.status.not_in(reports.GENERATABLE)
        )
    ).all()
    db.session.execute(
        update(ReportInstance)
        .where(ReportInstance.id.in_([row.id for row in rows]))
        .values(status=ReportStatus.DRAFT)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return Counter(row.status for row in rows)


def owed_ids(code: str, period: str) -> list[int]:
    return list(
        db.session.scalars(
            select(ReportInstance.id)
            .join(ReportDefinition)
            .where(ReportDefinition.code == code, ReportInstance.period == period)
            .order_by(ReportInstance.unit_id)
        )
    )


# -- workers and what they use -------------------------------------------------------------------


def stop_worker(proc: subprocess.Popen, timeout: float = 60) -> None:
    """SIGTERM (RQ's warm shutdown: the job in hand finishes), then SIGKILL to the worker and what
    it started (RQ's scheduler process, which would outlive it)."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    proc.kill()
    proc.wait(timeout=10)
    for child in family:
        try:
            child.kill()  # psutil checks the start time: never another process reusing the pid
        except psutil.NoSuchProcess:
            pass


class Workers:
    """``python worker.py <queue>`` processes, stopped by their own pid in ``close()`` (a context
    manager's exit, so also on Ctrl-C and errors)."""

    def __init__(self, setup: Setup, log_dir: Path):
        self.setup, self.log_dir = setup, log_dir
        self.command = [sys.executable, str(ROOT / "worker.py")]
        self.procs: list[subprocess.Popen] = []
        self.connection = Redis.from_url(setup.redis_url)

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> subprocess.Popen:
        """One more worker; returns once every worker is registered and idle."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"reports-worker-{len(self.procs) + 1}.log").open("w")
        proc = subprocess.Popen(
            [*self.command, self.setup.queue],
            cwd=ROOT,
            env=self.setup.worker_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)
        self.wait_idle()
        return proc

    def wait_idle(self) -> None:
        """Until every worker is registered and idle (done with its last job)."""
        queue = Queue(self.setup.queue, connection=self.connection)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(proc.poll() is not None for proc in self.procs):
                raise RuntimeError(f"a worker exited; see {self.log_dir}/reports-worker-*.log")
            found = Worker.all(queue=queue)
            if len(found) == len(self.procs) and all(w.get_state() == "idle" for w in found):
                return
            time.sleep(0.1)
        raise RuntimeError("the workers did not register within 60 s")

    def close(self) -> None:
        for proc in self.procs:
            stop_worker(proc)
        self.procs = []
        self.connection.close()


def memory_of(pid: int) -> dict[str, int]:
    """A process's resident set now (VmRSS) and at its peak so far (VmHWM), in bytes; {} once gone."""
    found = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    found[line[:5]] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return found


def children_of(pid: int) -> list[int]:
    """The children of a process, from /proc (psutil's ``children()`` reads every process on the
    machine: 2 ms a call, too dear 100 times a second on two cores)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(child) for child in fh.read().split()]
    except OSError:
        pass
    return found


@dataclass
class WorkerMemory:
    """What one worker held: RSS, sampled; its jobs are counted at the end (``count_jobs``)."""

    label: str
    pid: int
    idle: int = 0  # the worker's own RSS when first sampled (warmed up, idle)
    last: int = 0  # … when last sampled (after its last job: what the jobs left behind)
    peak: int = 0  # its own peak (VmHWM), the jobs' included: they run in its process
    with_children: int = 0  # the worker and its children (RQ's scheduler process), summed, at most
    jobs: int = 0


class Sampler(threading.Thread):
    """Every 20 ms, the RSS of each worker and its children; every 200 ms, on PostgreSQL, the CPU
    of the database's backends (read as they go: a backend that ended before the end of the run
    would be missed by a single read at the end)."""

    def __init__(self, meter: CpuMeter):
        super().__init__(name="bench-sampler", daemon=True)
        self.meter = meter
        self.backends: dict[int, float] = {}
        self.workers: list[WorkerMemory] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def __enter__(self) -> "Sampler":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.join(5)
        self.read_backends()

    def watch(self, label: str, pid: int) -> None:
        with self.lock:
            self.workers.append(WorkerMemory(label, pid))

    def run(self) -> None:
        ticks = 0
        while not self.stopped.wait(SAMPLE_EVERY):
            with self.lock:
                watched = list(self.workers)
            for memory in watched:
                sample(memory)
            ticks += 1
            if ticks % BACKENDS_EVERY == 0:
                self.read_backends()

    def read_backends(self) -> None:
        """The CPU of every backend seen so far, each as last read (CpuMeter counts them)."""
        if self.meter.db_name:
            self.meter.mark_backends()
            self.backends |= self.meter.backends1
            self.meter.backends1 = dict(self.backends)


def sample(memory: WorkerMemory) -> None:
    held = memory_of(memory.pid)
    if not held:
        return
    total = held["VmRSS"] + sum(memory_of(child).get("VmRSS", 0) for child in children_of(memory.pid))
    memory.idle = memory.idle or held["VmRSS"]
    memory.last = held["VmRSS"]
    memory.peak = max(memory.peak, held["VmHWM"])
    memory.with_children = max(memory.with_children, total)


def count_jobs(memories: list[WorkerMemory], connection: Redis, queue: str) -> None:
    """Each worker's jobs, as RQ counted them (done and failed)."""
    found = {w.pid: w for w in Worker.all(queue=Queue(queue, connection=connection))}
    for memory in memories:
        worker = found.get(memory.pid)
        if worker is not None:
            memory.jobs = worker.successful_job_count + worker.failed_job_count


# -- generating -----------------------------------------------------------------------------------


class GenerationFailed(RuntimeError):
    pass


def recorded(wanted: dict[int, int]) -> set[int]:
    """Which of the instances (id → version wanted) have that version recorded: the instance draft
    at it, with its version row. Raises GenerationFailed if an attempt failed (RQ would retry it
    in 10 s; the bench does not wait)."""
    with db.engine.connect() as conn:  # a connection of its own: each look sees the latest commit
        rows = conn.execute(
            select(ReportInstance.id, ReportInstance.status, ReportInstance.version, ReportInstance.error)
            .add_columns(ReportVersion.id.label("version_row"))
            .outerjoin(
                ReportVersion,
                and_(
                    ReportVersion.instance_id == ReportInstance.id,
                    ReportVersion.number == ReportInstance.version,
                ),
            )
            .where(ReportInstance.id.in_(wanted))
        ).all()
    failed = [f"report {row.id} v{row.version}: {row.error}" for row in rows if row.error]
    if failed:
        raise GenerationFailed("; ".join(failed))
    return {
        row.id
        for row in rows
        if row.status == ReportStatus.DRAFT and row.version == wanted[row.id] and row.version_row
    }


def ask(instance_id: int) -> ReportInstance:
    """Ask for the next version as the scheduler does: request, commit, dispatch (which commits)."""
    instance = db.session.get(ReportInstance, instance_id)
    report_generation.request(instance, None)
    db.session.commit()
    report_generation.dispatch(instance)
    return instance


@dataclass
class Generation:
    """One report generated end to end: seconds from the request to each moment (``MOMENTS``);
    the job's steps as its progress showed them, polled, so to within a poll."""

    moments: dict[str, float]

    @property
    def total(self) -> float:
        """Enqueue → recorded, as the goal is put (the request's own commit comes before it)."""
        return self.moments["seen"] - self.moments.get("enqueued", 0.0)

    def spans(self) -> dict[str, float]:
        """Seconds from the moment before to each moment (a step the polling missed runs into
        the next one)."""
        spans, last = {}, 0.0
        for key, _label in MOMENTS:
            if key in self.moments:
                spans[key], last = self.moments[key] - last, self.moments[key]
        return spans


def wait_for(job: Job, began: float, moments: dict[str, float] | None = None) -> JobStatus:
    """Poll the job in Redis every POLL_ONE s until it ends: its status and its progress, the same
    two reads for a generation and for WeasyPrint alone, so that both run beside the same polling.
    Notes in ``moments`` when each step was first seen (seconds since ``began``)."""
    deadline = time.monotonic() + TIME_LIMIT
    while True:
        status = job.get_status(refresh=True)
        step = (job.get_meta(refresh=True).get("progress") or {}).get("step")
        if moments is not None and step:
            moments.setdefault(step, time.perf_counter() - began)
        if status in (JobStatus.FINISHED, JobStatus.FAILED):
            return status
        if time.monotonic() > deadline:
            raise GenerationFailed(f"job {job.id} not done after {TIME_LIMIT:.0f} s")
        time.sleep(POLL_ONE)


def generate_one(instance_id: int) -> Generation:
    """Ask for the next version and wait until its job has ended (after the version is recorded);
    then check that it is, with its PDF on disk."""
    db.session.expire_all()
    began_at, began = time.time(), time.perf_counter()
    instance = ask(instance_id)
    moments: dict[str, float] = {}
    version, job = instance.version, Job.fetch(instance.job_id, connection=redis_client())
    status = wait_for(job, began, moments)
    moments["seen"] = time.perf_counter() - began
    pdf = report_generation.storage_dir() / f"{report_generation.file_stem(instance_id, version)}.pdf"
    if status != JobStatus.FINISHED or not (recorded({instance_id: version}) and pdf.exists()):
        raise GenerationFailed(f"report {instance_id} v{version}: job {status}, {job.return_value()!r}")
    job.refresh()
    moments["enqueued"] = job.enqueued_at.timestamp() - began_at
    if job.started_at:
        moments["started"] = job.started_at.timestamp() - began_at
    return Generation(moments)


@dataclass
class Batch:
    """Reports asked for at once: seconds until all were recorded, and each job's own seconds
    (RQ's ``started_at`` → ``ended_at``, in the work horse)."""

    wall: float
    jobs: list[float]


def generate_all(instance_ids: list[int]) -> Batch:
    """Ask for the next version of each at once; wait until every one is recorded."""
    db.session.expire_all()
    began = time.perf_counter()
    asked = [ask(instance_id) for instance_id in instance_ids]
    wanted = {instance.id: instance.version for instance in asked}
    job_ids = [instance.job_id for instance in asked]
    while wanted:
        if time.perf_counter() - began > TIME_LIMIT:
            raise GenerationFailed(f"{len(wanted)} reports not done after {TIME_LIMIT:.0f} s")
        time.sleep(POLL_MANY)
        done = recorded(wanted)
        wanted = {i: v for i, v in wanted.items() if i not in done}
    wall = time.perf_counter() - began
    jobs = [Job.fetch(job_id, connection=redis_client()) for job_id in job_ids]
    return Batch(wall, [(job.ended_at - job.started_at).total_seconds() for job in jobs])


# -- in this process --------------------------------------------------------------------------------


@dataclass
class InProcess:
    """The job's steps outside the worker, in a fresh interpreter (spawned) that has made the app
    as worker.py makes it: each step's first call (cold: what the first job of a worker would pay
    if worker.py did not warm up), then the median of later calls (warm). Not in this process:
    its heap, grown by building the demo, would slow WeasyPrint down (the collector walks it).
    And WeasyPrint alone on the final HTML, the baseline, run by the worker itself (``pdf``)."""

    cold: dict[str, float] = field(default_factory=dict)
    warm: dict[str, float] = field(default_factory=dict)
    pdf: list[float] = field(default_factory=list)  # WeasyPrint alone, in the worker: the baseline
    html_kb: float = 0.0
    pdf_kb: float = 0.0


def latest_snapshot(instance_id: int) -> dict:
    return db.session.scalars(
        select(ReportVersion.snapshot)
        .where(ReportVersion.instance_id == instance_id)
        .order_by(ReportVersion.number.desc())
        .limit(1)
    ).one()


def store(directory: Path, data: bytes, name: str) -> None:
    """As the job stores a file: a temporary name, flushed to disk, renamed."""
    temporary = directory / f"{name}.tmp"
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, directory / name)


def import_weasyprint() -> None:
    import weasyprint  # noqa: F401  (what pdf_from_html imports on its first call)


#: the spawned interpreter's app context, pushed once by ``_outside_start``
_outside: dict = {}


def _outside_start(setup: Setup) -> None:
    """In the fresh interpreter: make the app as worker.py makes it and enter its context."""
    context = setup.app().app_context()
    context.push()
    _outside["context"] = context


def steps_outside(instance_id: int, repeat: int) -> InProcess:
    """In the fresh interpreter: see ``InProcess``. Ends with the heap frozen, as in a worker, which
    freezes its heap once warmed up (worker.py): the collector does not walk what was
    there before the render."""
    result, cold = InProcess(), {}
    instance = db.session.get(ReportInstance, instance_id)
    snapshot = latest_snapshot(instance_id)
    cold["snapshot"], _ = timed(lambda: report_content.build(instance))
    cold["html"], html = timed(lambda: report_document.render_html(snapshot))
    cold["import weasyprint"], _ = timed(import_weasyprint)
    cold["pdf"], pdf = timed(lambda: report_document.pdf_from_html(html))
    cold["xlsx"], xlsx = timed(lambda: report_document.render_xlsx(snapshot))
    storage = report_generation.storage_dir()
    steps = {
        "snapshot": lambda: report_content.build(instance),
        "html": lambda: report_document.render_html(snapshot),
        "pdf": lambda: report_document.pdf_from_html(html),
        "xlsx": lambda: report_document.render_xlsx(snapshot),
        "store": lambda: (store(storage, pdf, "bench.pdf"), store(storage, xlsx, "bench.xlsx")),
    }
    cold["store"], _ = timed(steps["store"])
    for name, call in steps.items():
        call()
        result.warm[name] = statistics.median(timed(call)[0] for _ in range(repeat))
    db.session.rollback()
    gc.collect()
    gc.freeze()
    result.cold, result.html_kb, result.pdf_kb = cold, len(html.encode()) / 1024, len(pdf) / 1024
    return result


def weasyprint_alone(instance_id: int) -> float:
    """Seconds for ``pdf_from_html`` on the final HTML of the version the worker has just stored
    (the HTML is made first, untimed). An RQ job: the bench has the worker itself run it."""
    html = report_document.render_html(latest_snapshot(instance_id))
    db.session.rollback()  # the next call's read sees the worker's next commit
    return timed(lambda: report_document.pdf_from_html(html))[0]


def weasyprint_in_worker(setup: Setup, instance_id: int) -> float:
    """``weasyprint_alone`` run by the (idle) worker, as a job of the bench's queue: the same
    process, heap, caches and core as the generations it is set against."""
    # by name: run as ``python -m bench.reports``, this module is __main__ here, not in the worker
    job = Queue(setup.queue, connection=redis_client()).enqueue("bench.reports.weasyprint_alone", instance_id)
    if wait_for(job, time.perf_counter()) == JobStatus.FAILED:
        raise GenerationFailed(f"WeasyPrint alone failed in the worker: {job.latest_result().exc_string}")
    return float(job.return_value())


class Baseline:
    """A fresh interpreter (spawned, so not this process's heap, grown by building the demo: it
    would slow WeasyPrint down) for the table of the job's steps, cold and warm."""

    def __init__(self, setup: Setup):
        spawn = multiprocessing.get_context("spawn")
        self.pool = spawn.Pool(1, initializer=_outside_start, initargs=(setup,))

    def __enter__(self) -> "Baseline":
        return self

    def __exit__(self, *exc) -> None:
        self.pool.terminate()
        self.pool.join()

    def steps(self, instance_id: int, repeat: int) -> InProcess:
        return self.pool.apply(steps_outside, (instance_id, repeat))

    def pdf(self, instance_id: int) -> float:
        return self.pool.apply(weasyprint_alone, (instance_id,))


def spin(loops: int) -> float:
    """Pure Python work (no I/O, no allocation to speak of); returns its seconds."""
    began, total = time.perf_counter(), 0
    for i in range(loops):
        total += i * i % 7
    return time.perf_counter() - began


def cpu_ceiling(rounds: int = 3, loops: int = CEILING_LOOP) -> float:
    """How much faster two processes get the same work done than one, on this machine now: the
    most two workers could gain (two cores may not run two processes at full speed each: shared
    caches, a virtual machine's neighbours). Median of ``rounds`` of: one alone, then two at once."""
    gains = []
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(spin, [loops // 10] * 2)  # both started and warm
        for _ in range(rounds):
            alone = pool.apply(spin, (loops,))
            began = time.perf_counter()
            pool.map(spin, [loops] * 2, chunksize=1)
            gains.append(2 * alone / (time.perf_counter() - began))
    return statistics.median(gains)


# -- the run ----------------------------------------------------------------------------------------


@dataclass
class Results:
    dialect: str = ""
    warmup: float = 0.0
    generations: list[Generation] = field(default_factory=list)
    in_process: InProcess = field(default_factory=InProcess)
    batches: dict[int, Batch] = field(default_factory=dict)  # by the number of workers
    memory: list[WorkerMemory] = field(default_factory=list)
    ceiling: float = 0.0  # what two processes gain over one here, on pure Python work
    cpu: str = ""


def measure(app: Flask, setup: Setup, meter: CpuMeter, args: argparse.Namespace) -> Results:
    """One worker: the quarterly report end to end, WeasyPrint alone, the monthly reports; then
    a second worker and the monthly reports again. Workers and Redis stop on the way out."""
    results = Results()
    with (
        Workers(setup, OUT_DIR / "logs") as workers,
        Sampler(meter) as sampler,
        app.app_context(),
    ):
        results.dialect = db.engine.dialect.name
        [quarterly], monthly = owed_ids(*QUARTERLY), owed_ids(*MONTHLY)
        if len(monthly) != COMMUNES:
            raise RuntimeError(f"{len(monthly)} monthly reports owed for {MONTHLY[1]}, not {COMMUNES}")
        sampler.watch("worker 1", workers.start().pid)
        print(
            f"worker 1 idle on queue {setup.queue}; "
            f"the quarterly report, once to warm up, then {args.repeat}×"
        )
        results.warmup = generate_one(quarterly).total
        print("the job's steps in a fresh interpreter")
        with Baseline(setup) as baseline:
            results.in_process = baseline.steps(quarterly, args.repeat)
        print(f"{args.repeat} generations, each between two runs of WeasyPrint alone in the worker")
        results.in_process.pdf.append(weasyprint_in_worker(setup, quarterly))
        for _ in range(args.repeat):
            workers.wait_idle()
            results.generations.append(generate_one(quarterly))
            results.in_process.pdf.append(weasyprint_in_worker(setup, quarterly))
        for count in (1, 2):
            if count == 2:
                sampler.watch("worker 2", workers.start().pid)
            workers.wait_idle()
            print(f"the {COMMUNES} monthly reports at once, {count} worker(s)")
            results.batches[count] = generate_all(monthly)
        count_jobs(sampler.workers, workers.connection, setup.queue)
        db.session.remove()
    results.memory = sampler.workers
    results.ceiling = cpu_ceiling()
    return results


# -- report ---------------------------------------------------------------------------------------


def seconds(values: list[float]) -> str:
    return f"{statistics.median(values):>8.3f}{min(values):>8.3f}"


def mark(ok: bool, label: str) -> str:
    return f"{'PASS' if ok else 'MISS'} {label}"


def print_end_to_end(results: Results) -> None:
    """The goal holds when both ratios do: of the medians, and the median of each generation
    against the mean of the WeasyPrint runs just before and just after it (the machine's speed
    drifts by ±10 % within seconds here; a generation and the runs around it share the drift)."""
    totals = [g.total for g in results.generations]
    baseline = results.in_process.pdf  # one more than the generations: they alternate, from it
    ratio = statistics.median(totals) / statistics.median(baseline)
    around = [(before + after) / 2 for before, after in itertools.pairwise(baseline)]
    paired = statistics.median(t / b for t, b in zip(totals, around, strict=True))
    print(
        f"\nQuarterly report {QUARTERLY[1]} of huyện Bạch Thông, one idle worker, "
        f"{len(totals)} generations (+1 to warm up: {results.warmup:.3f} s), each between two runs "
        f"of WeasyPrint alone in the worker; HTML {results.in_process.html_kb:.0f} KB, "
        f"PDF {results.in_process.pdf_kb:.0f} KB"
    )
    print(f"{'':<46}{'median':>8}{'min':>8}  goal")
    print("-" * 78)
    print(f"{'end to end: enqueue → PDF stored, recorded (s)':<46}{seconds(totals)}")
    print(f"{'WeasyPrint alone, same final HTML (s)':<46}{seconds(baseline)}")
    goal = mark(max(ratio, paired) <= GOAL_RATIO, "≤ 1.15, both")
    print(f"{'ratio of the medians':<46}{ratio:>8.2f}")
    print(f"{'median ratio, each generation ÷ the runs around':<46}{paired:>8.2f}{'':>8}  {goal}")
    print("\nWhere the end-to-end time goes (median; the job's steps read from its progress, to ±10 ms):")
    steps = [g.spans() for g in results.generations]
    for key, label in MOMENTS:
        values = [s[key] for s in steps if key in s]
        if values:
            print(f"  {label:<44}{statistics.median(values):>8.3f} s")


def print_in_process(results: InProcess) -> None:
    print("\nThe job's steps in a fresh interpreter with the app made (s): cold = the first call (what each")
    print("worker's first job would pay if worker.py did not warm up); warm = median of later calls")
    print(f"  {'step':<20}{'cold':>8}{'warm':>8}")
    for name in ("snapshot", "html", "import weasyprint", "pdf", "xlsx", "store"):
        if name in results.cold:
            warm = f"{results.warm[name]:>8.3f}" if name in results.warm else f"{'—':>8}"
            print(f"  {name:<20}{results.cold[name]:>8.3f}{warm}")
    print(f"  {'total':<20}{sum(results.cold.values()):>8.3f}{sum(results.warm.values()):>8.3f}")


def print_throughput(batches: dict[int, Batch], ceiling: float = 0.0) -> None:
    speedup = batches[1].wall / batches[2].wall
    print(f"\nThe {COMMUNES} communes' monthly reports {MONTHLY[1]}, asked for at once")
    header = f"{'workers':<10}{'wall s':>8}{'reports/s':>11}{'job s (mean)':>14}{'busy':>7}{'speed-up':>10}"
    print(f"  {header}  goal")
    for count, batch in batches.items():
        busy = sum(batch.jobs) / (batch.wall * count)
        line = (
            f"  {count:<10}{batch.wall:>8.2f}{COMMUNES / batch.wall:>11.2f}"
            f"{statistics.mean(batch.jobs):>14.3f}{busy:>7.0%}"
        )
        if count == 2:
            line += f"{speedup:>10.2f}  {mark(speedup >= GOAL_SPEEDUP, 'two workers ≥ 1.7× faster')}"
        print(line)
    print("  (job s: RQ's started → ended, in the worker; busy: the jobs' time ÷ wall × workers)")
    if ceiling:
        print(
            f"  this machine now: two processes of pure Python work finish {ceiling:.2f}× as fast as one "
            "(the most two workers can gain here)"
        )


def print_memory(memory: list[WorkerMemory]) -> None:
    print(f"\nWorker memory (RSS, MiB, sampled every {SAMPLE_EVERY * 1000:.0f} ms; jobs run in the worker)")
    print(f"  {'':<10}{'jobs':>6}{'idle':>8}{'after last job':>16}{'peak':>8}{'peak with scheduler':>21}")
    for w in memory:
        print(
            f"  {w.label:<10}{w.jobs:>6}{w.idle / MIB:>8.0f}{w.last / MIB:>16.0f}"
            f"{w.peak / MIB:>8.0f}{w.with_children / MIB:>21.0f}"
        )


def report(results: Results) -> None:
    print()
    print(f"Report generation, {results.dialect}, demo district as of {AS_OF}; app code {code_revision()}")
    print(results.cpu)
    print_end_to_end(results)
    print_in_process(results.in_process)
    print_throughput(results.batches, results.ceiling)
    print_memory(results.memory)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = reports_database_url(args.db)
    storage = OUT_DIR / "reports-storage"

    def run() -> None:
        shutil.rmtree(storage, ignore_errors=True)
        try:
            with Services(url, floor_dir=OUT_DIR, log_dir=OUT_DIR / "logs") as services:
                setup = Setup(url, services.start_redis(), storage, f"bench-reports-{uuid.uuid4().hex[:8]}")
                app = build(setup)
                meter = CpuMeter(pg_database(url))
                results = measure(app, setup, meter, args)
            results.cpu = meter.summary()  # after the workers and Redis were reaped: their CPU is this run's
            report(results)
        finally:
            if not args.keep:
                shutil.rmtree(storage, ignore_errors=True)

    return run_on(url, args, run)


if __name__ == "__main__":
    sys.exit(main())
