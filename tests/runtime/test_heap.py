"""freeze_startup_heap: once per process, and cycles made afterwards are still collected.

Run in a child process: freezing is process-wide and must not leak into the test session.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import gc, json, weakref
from smartpdu.runtime.heap import freeze_startup_heap

class Node:
    pass

first = freeze_startup_heap()
second = freeze_startup_heap()
a, b = Node(), Node()
a.other, b.other = b, a          # a cycle made after the freeze
probe = weakref.ref(a)
del a, b
gc.collect()
print(json.dumps({"first": first, "second": second, "cycle_alive": probe() is not None}))
"""


def test_freeze_is_once_per_process_and_new_cycles_are_collected() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=120
    )
    result = json.loads(out.stdout)
    assert result["first"] > 1000  # the interpreter's and smartpdu's start-up objects
    assert result["second"] == result["first"]
    assert result["cycle_alive"] is False
