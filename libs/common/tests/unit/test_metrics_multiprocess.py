"""Multiprocess metrics as gunicorn's workers write them: one value class per process, so
two handles on a worker's file never overwrite each other's entries, and each process
writes files named by its own id after a fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import os, sys
    from prometheus_client import CollectorRegistry, Counter, values
    from prometheus_client.multiprocess import MultiProcessCollector

    import keel_common.metrics as metrics

    chosen = values.ValueClass
    once = Counter("keel_test_unlabelled", "made as it is defined")  # a value at once
    by_kind = Counter("keel_test_labelled", "made when first used", ["kind"])
    metrics.choose_value_class()  # what gunicorn's master does before forking workers
    assert values.ValueClass is chosen, "a second value class"

    worker = os.fork()
    if worker == 0:
        by_kind.labels("a").inc()  # appended by the class chosen last
        once.inc()  # appended by the class its value was made with
        by_kind.labels("b").inc()  # must not land on top of the one before
        os._exit(0)
    os.waitpid(worker, 0)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, sys.argv[1])
    found = {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in registry.collect() for sample in family.samples
    }
    print(sorted(os.listdir(sys.argv[1])), worker)
    assert found[("keel_test_unlabelled_total", ())] == 1, found
    assert found[("keel_test_labelled_total", ("a",))] == 1, found
    assert found[("keel_test_labelled_total", ("b",))] == 1, found
    """
)


def test_a_forked_worker_keeps_every_entry_in_its_own_file(tmp_path: Path) -> None:
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    files, worker = done.stdout.rsplit(" ", 1)
    assert f"counter_{worker.strip()}.db" in files  # named by the worker, not its parent
