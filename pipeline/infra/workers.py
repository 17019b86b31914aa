"""Reading in worker processes, so that a file that crashes or hangs the reader costs only itself.

python-calamine can abort the whole process (a Rust allocation failure is not an exception)
and raises PanicException, a BaseException, on some corrupt files. Every workbook is
therefore opened in a worker process with a memory limit; the parent hands out chunks of
files, receives one result per file, and knows at each moment which file a worker is on. A
worker that dies, or that spends too long on one file, is replaced; that one file is reported
and the rest of its chunk goes on in another worker.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from pipeline.core.errors import WorkerError


@dataclass(frozen=True)
class Limits:
    seconds_per_file: float = 60.0
    memory_bytes: int = 2 * 1024**3  # headroom above what the worker already uses
    workers: int = 0  # 0: one per core
    chunk: int = 16


@dataclass(frozen=True)
class Failure:
    """What happened to a file whose worker did not come back with a result."""

    reason: str  # "crash", "timeout" or "error" (an exception in the task's own code)
    detail: str = ""  # the exception, in a line
    trace: str = ""  # its traceback, for the log


def _limit_memory(extra: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the process boundary still protects the run
        return
    try:
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        used = 0
    limit = used + extra
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


GATHER_SECONDS = 0.004  # how long results may gather while every worker has work queued

# Imported once in the fork server, so every worker starts ready to read (a tenth of a second).
PRELOAD = ["pipeline.stages.read", "pipeline.outputs.feedback"]


def _log_stderr(path: str) -> None:
    """Send what the libraries print (warnings, a reader's own messages) to the run's log file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return  # no log (a read-only folder): the run says so itself
    os.dup2(fd, 2)
    os.close(fd)


def _serve(conn: Connection, memory: int) -> None:
    _limit_memory(memory)
    log = ""
    try:
        conn.send("ready")
    except OSError:
        return  # the parent is gone (it finished before needing this worker): end quietly
    last: tuple = ()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        func, sent, batch, wanted = task
        if wanted and wanted != log:
            _log_stderr(wanted)
            log = wanted
        args = last if sent is None else sent  # None: the same arguments as the task before
        last = args
        for index, item in batch:
            try:
                result = func(item, *args)
            except Exception as exc:  # noqa: BLE001 — reported to the parent, the worker lives on
                result = Failure("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())
            conn.send((index, result))
            del result


def _context() -> mp.context.BaseContext:
    # forkserver: workers start from a small clean process, not from a parent that holds
    # pandas and threads; spawn where fork is not available (Windows).
    methods = mp.get_all_start_methods()
    if "forkserver" in methods and sys.platform != "darwin":
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return mp.get_context("spawn")


class _Worker:
    def __init__(self, ctx, limits: Limits):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, limits.memory_bytes), daemon=True)
        self.proc.start()
        child.close()
        self.pending: deque[tuple[int, object]] = deque()  # given and not yet answered, in order
        self.since = time.monotonic()
        self.args: tuple | None = None  # the arguments this worker holds from its last task

    def ready(self) -> _Worker:
        """Wait until the worker has started (workers started together start side by side)."""
        # A worker that cannot start (an unimportable module, no processes left) must stop the
        # run with that reason, not be mistaken for one crashing file after another.
        try:
            started = self.conn.poll(60) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            started = False
        if not started:
            self.proc.kill()
            raise WorkerError()
        return self

    @property
    def busy(self) -> bool:
        return bool(self.pending)

    def give(self, func: Callable, args: tuple, batch: list[tuple[int, object]]) -> None:
        # The arguments (the rules, when reading) go to each worker once per isolated_map call,
        # not with every chunk: at 10 000 files that was 600 picklings of the rules, about a
        # fifth of a second of processor time.
        self.conn.send((func, None if args is self.args else args, batch, LOG[0]))
        self.args = args
        if not self.pending:
            self.since = time.monotonic()
        self.pending.extend(batch)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


# Workers are started once and reused by every call in the process (a run reads forms,
# registers and builds feedback): starting a process costs more than reading a workbook.
_POOL: list[_Worker] = []
LOG = [""]  # the log file workers print to (set by the run), or "" to leave their stderr as it is


def log_to(path: str) -> None:
    """From now on, what the libraries print in a worker goes to ``path``."""
    LOG[0] = path
_POOL_LOCK = threading.Lock()
_WARMING: threading.Thread | None = None


def _pool(ctx, limits: Limits, size: int) -> list[_Worker]:
    with _POOL_LOCK:  # a warm-up thread may be starting them
        alive = [w for w in _POOL if w.proc.is_alive()]
        _POOL[:] = alive
        started = [_Worker(ctx, limits) for _ in range(size - len(_POOL))]
        _POOL.extend(w.ready() for w in started)
        return _POOL[:size]


def warm_up(limits: Limits = Limits()) -> None:
    """Start the workers in the background while the caller gets on (starting them, with the
    modules they preload, takes most of a second); the first call that needs them waits."""

    def start() -> None:
        try:
            _pool(_context(), limits, limits.workers or os.cpu_count() or 1)
        except Exception:  # noqa: BLE001,S110 — the call that needs them starts them again, and says why
            pass

    global _WARMING
    _WARMING = threading.Thread(target=start, name="warm-up", daemon=True)
    _WARMING.start()


def worker_pids() -> list[int]:
    """The process ids of the live pooled workers."""
    return [w.proc.pid for w in list(_POOL) if w.proc.pid is not None]


def peak_memory_bytes() -> int | None:
    """The largest peak resident memory among the live workers (Linux; None elsewhere)."""
    peaks = []
    for pid in worker_pids():
        try:
            with open(f"/proc/{pid}/status") as fh:
                peaks += [int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:")]
        except (OSError, ValueError, IndexError):
            continue
    return max(peaks) if peaks else None


@atexit.register
def shutdown() -> None:
    """Stop the pooled workers (also at interpreter exit), once any still starting have started."""
    if _WARMING is not None:
        _WARMING.join(timeout=60)
    while _POOL:
        _POOL.pop().stop()


def isolated_map(func: Callable, items: list, args: tuple = (), limits: Limits = Limits(),
                 started: Callable[[], None] | None = None) -> Iterator[tuple[int, object]]:
    """Yield (index, func(item, *args)) for every item, or (index, Failure) where it crashed or hung.

    Results come in completion order. ``func`` must be a module-level function; each item may
    take ``limits.seconds_per_file``. ``started`` is called once every worker has been handed
    its first task.
    """
    if not items:
        return
    ctx = _context()
    n_workers = max(1, min(limits.workers or os.cpu_count() or 1, -(-len(items) // limits.chunk)))
    size = max(1, min(limits.chunk, -(-len(items) // n_workers)))
    numbered = list(enumerate(items))
    queue = deque(numbered[i:i + size] for i in range(0, len(items), size))
    workers = _pool(ctx, limits, n_workers)
    for w in workers:
        w.args = None  # a new call: its arguments are sent again, even if they are the same object
    try:
        while queue or any(w.busy for w in workers):
            for i, w in enumerate(workers):
                # The next chunk is sent before this one is done, so a worker never waits for
                # the parent between chunks (with chunk=1, only to an idle worker).
                if queue and len(w.pending) < size:
                    batch = queue.popleft()
                    try:
                        w.give(func, args, batch)
                    except OSError:  # the worker is gone: on what it was given, if anything
                        queue.appendleft(batch)
                        if w.pending:
                            yield from _refuse(workers, w, "crash", queue, ctx, limits)
                        else:
                            workers[i] = _replace_worker(w, ctx, limits)
            if started is not None:
                started()
                started = None
            busy = {w.conn: w for w in workers if w.busy}
            if size > 1 and all(len(w.pending) > size for w in busy.values()):
                # Every worker has more than a chunk still to do: let results gather for a few
                # milliseconds instead of waking for each one. Woken per file, the main process
                # took a context switch per file from cores the workers keep busy.
                time.sleep(GATHER_SECONDS)
            for conn in wait(list(busy), timeout=0.5):
                w = busy[conn]
                while w.pending:  # every answer that has arrived, without waiting again
                    try:
                        index, result = conn.recv()
                    except (EOFError, OSError):
                        yield from _refuse(workers, w, "crash", queue, ctx, limits)
                        break
                    w.pending.popleft()
                    w.since = time.monotonic()
                    yield index, result
                    if not conn.poll():
                        break
            now = time.monotonic()
            for w in list(workers):
                if w.busy and now - w.since > limits.seconds_per_file:
                    yield from _refuse(workers, w, "timeout", queue, ctx, limits)
    finally:
        # A caller that stops early leaves workers mid-batch: they cannot be reused.
        for i, w in enumerate(workers):
            if w.busy:
                workers[i] = _replace_worker(w, ctx, limits, start=False)


def _replace_worker(w: _Worker, ctx, limits: Limits, start: bool = True) -> _Worker | None:
    w.pending.clear()
    w.stop(kill=True)
    index = _POOL.index(w) if w in _POOL else None
    new = _Worker(ctx, limits).ready() if start else None
    if index is not None:
        if new is None:
            _POOL.pop(index)
        else:
            _POOL[index] = new
    return new


def _refuse(workers, w: _Worker, reason: str, queue: deque, ctx, limits) -> Iterator[tuple[int, object]]:
    """The file ``w`` was on is refused; the rest of what it was given goes back to the queue."""
    index, _ = w.pending.popleft()
    if w.pending:
        queue.appendleft(list(w.pending))
    workers[workers.index(w)] = _replace_worker(w, ctx, limits)
    yield index, Failure(reason)
