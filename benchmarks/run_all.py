"""Run every benchmark in this folder and print its numbers (``make bench``).

Each benchmark module exposes ``main() -> dict`` and prints its own report; ratios are measured
within the same run so that a noisy shared machine does not distort them.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses (and pickling) look their module up there
    spec.loader.exec_module(module)
    return module


def main() -> int:
    results: dict[str, object] = {}
    failed = []
    for path in sorted(HERE.glob("*.py")):
        if path.name in {"run_all.py"} or path.name.startswith("_"):
            continue
        print(f"\n=== {path.stem} ===", flush=True)
        try:
            results[path.stem] = _load(path).main()
        except Exception as exc:  # report and go on: one broken benchmark must not hide the others
            failed.append(path.stem)
            print(f"benchmark {path.stem} failed: {exc!r}", file=sys.stderr)
    print("\n=== summary (JSON) ===")
    print(json.dumps(results, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
