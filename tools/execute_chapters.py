"""Execute chapters top to bottom in a fresh kernel of *this* interpreter, without saving.

Used by ``make compat``: every assertion in the chapters is checked with the installed
versions (the stored outputs are not compared, nor rewritten). Exit status 1 if any chapter
fails, with the failing cell's error.

Usage: python tools/execute_chapters.py chapters/01_recurrent_networks.ipynb [...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run(path: Path) -> tuple[bool, float, str]:
    """Execute one notebook; return (passed, seconds, error text)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        return False, time.perf_counter() - start, str(error)[-3000:]
    return True, time.perf_counter() - start, ""


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    failed = []
    for name in paths:
        passed, seconds, error = run(Path(name))
        print(f"{'PASS' if passed else 'FAIL'} {name} ({seconds:.0f} s)", flush=True)
        if not passed:
            print(error, flush=True)
            failed.append(name)
    print(f"{len(paths) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
