"""The suite's own guards fail what they promise to fail (run on a scratch suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT_CONFTEST = Path(__file__).with_name("conftest.py")

PROBE = """
import asyncio
import warnings

async def test_leaks_a_task():
    asyncio.create_task(asyncio.sleep(10), name="sleeper")

async def test_cancels_its_task():
    t = asyncio.create_task(asyncio.sleep(10))
    t.cancel()

async def test_awaits_its_task():
    await asyncio.create_task(asyncio.sleep(0))

def test_warns():
    warnings.warn("deprecated thing", DeprecationWarning)

def test_plain():
    assert True
"""


def test_leaked_task_and_warning_fail_the_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ROOT_CONFTEST.read_text(encoding="utf-8"))
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings =\n    error\n"
    )
    pytester.makepyfile(test_probe=PROBE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*leaked 1 pending asyncio task(s): sleeper*"])
    result.stdout.fnmatch_lines(["*FAILED*test_warns*DeprecationWarning*"])
