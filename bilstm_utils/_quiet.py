"""Import TensorFlow without the C++ log lines it writes to stderr.

TensorFlow's native libraries log through absl *before* ``TF_CPP_MIN_LOG_LEVEL``
is read, so a few ``I0000 ...`` lines (oneDNN notice, "Could not find cuda
drivers") reach file descriptor 2 even when the variable is set. They would end
up in every notebook's stored output. This module sets the variable, imports
TensorFlow with descriptor 2 captured, and writes back every captured line that
is not one of those known notices, so real import errors stay visible.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} [\d:.]+\s+\d+ \S+\.cc:\d+\]"
    # TensorFlow 2.19's CUDA build, harmless without a GPU (fixed in later releases)
    r"|E\d{4} [\d:.]+\s+\d+ cuda_\w+\.cc:\d+\] Unable to register cu\w+ factory"
    r"|To enable the following instructions|This TensorFlow binary is optimized)"
)


def _is_noise(line: str) -> bool:
    return bool(_NOISE.match(line)) or not line.strip()


def import_tensorflow_quietly():
    """Import and return the ``tensorflow`` module with its native log noise removed.

    Returns
    -------
    module
        The imported ``tensorflow`` module (cached by Python after the first call).
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf  # noqa: PLC0415
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
    kept = [line for line in text.splitlines() if not _is_noise(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    # TensorFlow's Python logger inherits the root logger's level; where that is INFO (some
    # notebook set-ups), exporting a SavedModel prints "INFO:tensorflow:Assets written to
    # <a temporary path>" into the notebook. Warnings and errors still come through.
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    return tf
