"""Shared fixtures: paths, the chapters, and one build of the HTML book per test session."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


def toc_files() -> list[str]:
    """Every ``file:`` entry of ``_toc.yml`` (root included), without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return files


def chapter_paths() -> list[Path]:
    return sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.fixture(scope="session")
def built_book() -> dict:
    """Build the HTML book exactly as ``make book`` does (once per session, every page
    re-read: an incremental build would not repeat the warnings of unchanged pages).

    Returns a dict with ``html`` (the output folder), ``log`` (the build's output) and
    ``seconds`` (its wall time).
    """
    start = time.perf_counter()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", ".", "--all",
         "--warningiserror", "--keep-going"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"jupyter-book build failed:\n{log[-5000:]}"
    return {"html": ROOT / "_build" / "html", "log": log,
            "seconds": time.perf_counter() - start}


def tiny_classifier(mask_zero: bool = True, seed: int = 0):
    """A ``build_text_classifier`` BiLSTM (vocabulary 30, 6-d embeddings, 4 units) with large
    random weights, so it is clearly non-linear (chapter 5's attribution and gate tests)."""
    import numpy as np

    import bilstm_utils
    from bilstm_utils.models import build_text_classifier

    bilstm_utils.set_seed(seed)
    model = build_text_classifier(vocab_size=30, embed_dim=6, units=4, mask_zero=mask_zero,
                                  dropout=0.5)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.8, w.shape).astype("float32") for w in model.get_weights()])
    return model


def padded_ids(n: int = 5, time: int = 12, seed: int = 1):
    """Right-padded int32 ids (n, time): row r has r + 1 padding steps at its end."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = rng.integers(2, 30, (n, time)).astype("int32")
    for r in range(n):
        ids[r, time - r - 1:] = 0
    return ids


def tiny_pooled_classifier(skip_embeddings: bool = False, seed: int = 0):
    """A ``build_pooled_classifier`` BiLSTM (vocabulary 30, 6-d embeddings, 4 units, max and
    mean pooling, masked) with large random weights (chapter 5's pooled-model tests)."""
    import numpy as np

    import bilstm_utils
    from bilstm_utils.models import build_pooled_classifier

    bilstm_utils.set_seed(seed)
    model = build_pooled_classifier(vocab_size=30, embed_dim=6, units=4,
                                    skip_embeddings=skip_embeddings)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.8, w.shape).astype("float32") for w in model.get_weights()])
    return model
