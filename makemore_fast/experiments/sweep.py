"""`sweep(configs)`: many runs side by side, on local worker processes, any
concurrent.futures.Executor, or a Dask cluster; resumable with `out=DIR`.

The local pool is the standard library's ProcessPoolExecutor (one process
per usable core, started by a fork server where there is one, else spawned;
BLAS and the kernels on one thread each).  As with any multiprocessing, a
script that sweeps on the local pool must do so under
`if __name__ == "__main__":` (the workers import the main module).
A worker that dies (killed, out of memory, a crash in C) breaks such a pool
and every future running on it; the configs that were running are then run
again each in a process of its own, so that only the one that kills its
worker gets the error, and the sweep goes on in a new pool.  A config whose
worker died is not stored: the next sweep with the same `out` tries it again.
"""
import concurrent.futures as cf
import math
import multiprocessing
import os
from collections import deque
from concurrent.futures.process import BrokenProcessPool

from tqdm.auto import tqdm

from .config import Config
from .runner import failed, run
from .store import ResultStore

WORKER_DIED = "the worker process died"


def sweep(configs, *, executor=None, out=None, progress=True, workers=None, runner=None):
    """Run every config; a list of Results in the order of `configs`.

    executor: None (local worker processes: `workers` of them, default one
    per usable core), a concurrent.futures.Executor, or a
    dask.distributed.Client (a LocalCluster's or a real cluster's).
    out: a directory; each finished Result is written there at once
    (atomically), a config already finished there is loaded instead of run,
    and at the end DIR gets summary.md, summary.csv and the comparison
    pictures (`write_summary`).  progress: a bar over the configs on stderr.
    runner: the function each worker calls, config -> Result (default
    `run`); module-level, so that worker processes can import it.

    A config that fails (diverges, raises, kills its worker) gets its
    Result's `error` and the others go on; only bad arguments raise.
    """
    configs = _check_configs(configs)
    workers = _check_workers(workers)
    runner = run if runner is None else runner
    if not callable(runner):
        raise TypeError(f"runner must be a function config -> Result, got {runner!r}")
    submit_to = _executor(executor)
    store = None if out is None else ResultStore(out)

    places = {}                              # config -> its indices (duplicates run once)
    for i, config in enumerate(configs):
        places.setdefault(config, []).append(i)
    results = [None] * len(configs)
    pending = []
    for config, where in places.items():
        stored = None if store is None else store.load(config)
        if stored is None:
            pending.append(config)
        for i in where:
            results[i] = stored
    bar = tqdm(total=len(configs), initial=sum(r is not None for r in results),
               desc="sweep", unit="config", disable=not progress, dynamic_ncols=True)

    def finish(config, result):
        if store is not None and not (result.error or "").startswith(WORKER_DIED):
            store.save(result)
        for i in places[config]:
            results[i] = result
        bar.set_postfix_str(_postfix(result), refresh=False)
        bar.update(len(places[config]))

    with bar:
        if pending and submit_to is None:
            _local(pending, workers or usable_cores(), runner, finish)
        elif pending:
            _on_executor(pending, submit_to, runner, finish)
    if store is not None:
        from .summary import write_summary
        write_summary(results, store.directory)
    return results


def usable_cores():
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def task(runner, config):
    """What a worker runs: `runner(config)`, any exception as the config's error."""
    from ..threads import set_num_threads
    set_num_threads(1)
    try:
        return runner(config)
    except Exception as e:              # a failing config is a finding, not the end
        return failed(config, one_line(e))


def one_line(error):
    """`Type: message` on one line."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _init_worker():
    from ..threads import set_num_threads
    set_num_threads(1)


def worker_context():
    """The start method of the local workers: "forkserver" where there is one
    (Linux), with makemore_fast imported once in the server, so that a worker
    starts in milliseconds instead of the second an import takes; else "spawn".
    Never a plain fork of this process, whose threads (BLAS's, a progress
    bar's, a Dask client's) a fork would copy in any state."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", __name__])
        return context
    return multiprocessing.get_context("spawn")


def _local(pending, workers, runner, finish):
    """`pending` on `workers` worker processes, at most `workers` in flight, so
    that a broken pool takes down only the configs that were running."""
    context = worker_context()
    queue = deque(pending)
    while queue:
        suspects = []
        pool = cf.ProcessPoolExecutor(min(workers, len(queue)), mp_context=context,
                                      initializer=_init_worker)
        broken = False
        try:
            running = {}
            while queue or running:
                while queue and len(running) < workers and not (suspects or broken):
                    try:
                        running[pool.submit(task, runner, queue[0])] = queue[0]
                    except BrokenProcessPool:     # broke before its futures said so
                        broken = True
                        break
                    queue.popleft()
                if not running:
                    if broken and not suspects:     # a pool that cannot even start
                        suspects.append(queue.popleft())
                    break
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    config = running.pop(future)
                    try:
                        finish(config, future.result())
                    except BrokenProcessPool:
                        suspects.append(config)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if suspects:
            _isolated(suspects, runner, finish, context)


def _isolated(configs, runner, finish, context):
    """Each config in a process of its own: a death is then that config's."""
    pools = {}
    try:
        for config in configs:
            pool = cf.ProcessPoolExecutor(1, mp_context=context, initializer=_init_worker)
            pools[pool.submit(task, runner, config)] = (pool, config)
        for future in cf.as_completed(pools):
            pool, config = pools[future]
            try:
                result = future.result()
            except BrokenProcessPool:
                result = failed(config, f"{WORKER_DIED} while running this config "
                                        f"(killed, out of memory, or a crash)")
            finish(config, result)
    finally:
        for pool, _ in pools.values():
            pool.shutdown(wait=True, cancel_futures=True)


def _on_executor(pending, executor, runner, finish):
    futures = {executor.submit(task, runner, config): config for config in pending}
    for future in cf.as_completed(futures):
        config = futures[future]
        try:
            result = future.result()
        except BrokenProcessPool as e:
            result = failed(config, f"{WORKER_DIED} ({one_line(e)})")
        except Exception as e:          # e.g. distributed's KilledWorker
            died = type(e).__name__ == "KilledWorker"
            result = failed(config, f"{WORKER_DIED} ({one_line(e)})" if died
                            else one_line(e))
        finish(config, result)


def _executor(executor):
    """None (the local pool) or something with concurrent.futures' submit."""
    if executor is None:
        return None
    if _is_dask_client(executor):
        return executor.get_executor(pure=False)
    if isinstance(executor, cf.Executor):
        return executor
    raise TypeError("executor must be None, a concurrent.futures.Executor or a "
                    f"dask.distributed.Client, got {type(executor).__name__}")


def _is_dask_client(obj):
    cls = type(obj)
    return cls.__module__.split(".")[0] == "distributed" and hasattr(obj, "get_executor")


def _check_configs(configs):
    if isinstance(configs, Config):
        raise TypeError("configs must be a list of Configs; for one, use run(config) "
                        "or sweep([config])")
    try:
        configs = list(configs)
    except TypeError:
        raise TypeError(f"configs must be a list of Configs, got "
                        f"{type(configs).__name__}") from None
    for i, config in enumerate(configs):
        if not isinstance(config, Config):
            raise TypeError(f"configs[{i}] must be a Config, got {type(config).__name__}")
    return configs


def _check_workers(workers):
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    return workers


def _postfix(result):
    name = result.config.name if len(result.config.name) <= 32 else result.config.name[:31] + "…"
    if result.error:
        return f"{name}: {result.error[:40]}"
    return f"{name}: val {result.val_loss:.4f}" if math.isfinite(result.val_loss) else name
