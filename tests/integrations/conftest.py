"""Integration tests reuse the API environment (tests/api/api_env.py), the fake runtime of the
Redfish tests (tests/redfish/redfish_fake_runtime.py) and tests/http_receiver.py."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
for _p in (_TESTS / "api", _TESTS / "redfish", _TESTS):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))
