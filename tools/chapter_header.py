"""Print the two cells every chapter starts with, derived from `_config.yml`.

Usage::

    python tools/chapter_header.py chapters/01_recurrent_networks.ipynb

prints the Colab badge (HTML for the first markdown cell) and the Colab-only install
cell. ``tests/test_book.py`` checks every chapter against the same functions, so a
changed repository URL in ``_config.yml`` is caught everywhere.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# A badge drawn for the book (no remote image, so the page renders offline).
_BADGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" '
    'aria-label="Open in Colab"><rect width="117" height="20" rx="3" fill="#555"/>'
    '<rect x="37" width="80" height="20" rx="3" fill="#e37400"/>'
    '<rect x="37" width="6" height="20" fill="#e37400"/>'
    '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
    '<text x="6" y="14">Open</text><text x="44" y="14">in Colab</text></g></svg>'
)
BADGE_DATA_URI = "data:image/svg+xml;base64," + base64.b64encode(_BADGE_SVG.encode()).decode()


def repository() -> tuple[str, str]:
    """Return ``(url, branch)`` of the repository named in ``_config.yml``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def colab_url(notebook: str) -> str:
    """Colab link for ``notebook`` (a path relative to the repository root)."""
    url, branch = repository()
    slug = url.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{slug}/blob/{branch}/{notebook}"


def badge_html(notebook: str) -> str:
    """The "Open in Colab" badge as HTML, for a chapter's first markdown cell."""
    return (
        f'<a href="{colab_url(notebook)}"><img src="{BADGE_DATA_URI}" '
        'alt="Open In Colab" width="117" height="20"/></a>'
    )


def install_cell() -> str:
    """Source of the first code cell: installs ``bilstm_utils`` only inside Colab."""
    url, branch = repository()
    return (
        "# Colab only: install this book's helper package. Locally, `make` has installed it.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "bilstm-utils @ git+{url}@{branch}"'
    )


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(badge_html(path), install_cell(), sep="\n\n")
