"""The built HTML book, served on 127.0.0.1 and read by a real headless Chromium.

Every page listed in ``_toc.yml`` is loaded from a loopback HTTP server in Debian's Chromium
(``/usr/bin/chromium``, driven by Playwright's Python package; no browser download). On each
page the test checks what a reader would notice:

- no console error or uncaught exception, no failed request and no non-2xx response for the
  book's own files, and no request at all to any other host (the book renders offline:
  MathJax and its fonts are served from the book, see ``_extra/_static/mathjax``);
- every ``<img>`` has loaded (``naturalWidth > 0``) and has alt text or a caption (a
  ``<figcaption>``, or for a notebook output the caption paragraph right below the cell);
- every equation has been typeset by MathJax and no raw ``$...$``/``\\(...\\)`` is left;
- every link to the book's own files resolves, anchors included;
- the sidebar lists every toc entry;
- accessibility basics: exactly one visible ``h1``, headings never skip a level going down;
- each chapter notebook's Colab launch button (and badge) opens that chapter's notebook in
  the repository named by ``_config.yml``.

A full-page screenshot of each page goes to ``_build/screenshots/<page>.png`` and the pages
visited with their times to ``_build/screenshots/report.txt``.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Known upstream errors, matched exactly (anything else fails the page). Sphinx 7.4 writes an
# inline script that an extension registers after the builder started twice (it keeps both
# ``None`` and ``''`` as its file name); sphinx-thebe's is ``const THEBE_JS_URL = ...``, so
# the second copy throws. Thebe is not used by this book (no Thebe launch button).
KNOWN_UPSTREAM_ERRORS = {
    "uncaught exception: Identifier 'THEBE_JS_URL' has already been declared",
}
VIEWPORT = {"width": 1280, "height": 900}  # wide enough for the theme to show the sidebar
PAGE_TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is missing (/usr/bin/chromium): run `make chromium` "
        "(as root: apt-get update && apt-get install -y chromium chromium-driver)",
    ),
]


# --- What the book should contain, from _toc.yml and _config.yml ---------------------------

def toc_pages() -> list[str]:
    """Every document of ``_toc.yml`` (root first, nested sections included), no extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            for key in ("sections", "chapters", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []) + toc.get("chapters", []) + toc.get("sections", []))
    return [str(Path(page).with_suffix("")) if Path(page).suffix in {".md", ".ipynb"} else page
            for page in pages]


def expected_colab_url(page: str) -> str | None:
    """The Colab URL of ``page``'s notebook, from ``_config.yml``; None if it is no notebook."""
    if not (ROOT / f"{page}.ipynb").is_file():
        return None
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repo["url"])
    assert match, f"repository.url in _config.yml is not a GitHub URL: {repo['url']!r}"
    owner, name = match.groups()
    book = (repo.get("path_to_book") or "").strip("/")
    notebook = f"{book}/{page}.ipynb" if book else f"{page}.ipynb"
    return (f"https://colab.research.google.com/github/{owner}/{name}/blob/"
            f"{repo.get('branch', 'main')}/{notebook}")


class _IdCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key == "id" or (tag == "a" and key == "name"):
                self.ids.add(value or "")


@functools.cache
def html_ids(path: Path) -> frozenset[str]:
    """The ``id`` (and ``<a name>``) values of a built HTML file."""
    parser = _IdCollector()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


# --- Server and browser ---------------------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base's signature
        pass


@pytest.fixture(scope="module")
def site(built_book: dict):
    """The built book on ``http://127.0.0.1:<free port>/``: yields ``(base_url, html_dir)``."""
    html = Path(built_book["html"])
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", html
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest, site):
    """Collects ``{page: seconds}``; writes and prints the pages visited and the total time."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    yield times
    total = time.perf_counter() - start
    out = site[1].parent / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"browser test: {len(times)} pages visited in {total:.1f} s "
             f"(Chromium at {CHROMIUM}, served from {site[0]})"]
    lines += [f"  {seconds:6.2f} s  {page}" for page, seconds in times.items()]
    (out / "report.txt").write_text("\n".join(lines) + "\n")
    plugins = request.config.pluginmanager
    terminal, capture = plugins.getplugin("terminalreporter"), plugins.getplugin("capturemanager")
    if terminal is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            terminal.write_line("")
            for line in lines:
                terminal.write_line(line)


# --- The page, as the browser sees it -------------------------------------------------------

# Runs in the page after "load": waits for MathJax's first typesetting, fonts and images.
_SETTLE_JS = """async () => {
  for (const img of document.images) { img.loading = "eager"; }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
}"""

# Collects everything the checks need from the rendered page.
_INSPECT_JS = r"""() => {
  const shown = el => el.checkVisibility({visibilityProperty: true}) &&
                      !el.closest('[aria-hidden="true"]');
  const text = el => (el.textContent || "").replace(/\s+/g, " ").trim();
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .filter(shown).map(h => {
      const copy = h.cloneNode(true);
      copy.querySelectorAll(".headerlink").forEach(a => a.remove());
      return {level: Number(h.tagName[1]), text: text(copy)};
    });

  const images = [...document.images].map(img => {
    const figure = img.closest("figure");
    const cell = img.closest("div.cell");
    let after = cell ? cell.nextElementSibling : null;
    return {
      src: img.getAttribute("src").slice(0, 120),
      resolved: img.src,
      loaded: img.complete && img.naturalWidth > 0,
      alt: (img.getAttribute("alt") || "").trim(),
      figcaption: figure && figure.querySelector("figcaption")
        ? text(figure.querySelector("figcaption")) : "",
      captionBelowCell: after && after.tagName === "P" ? text(after) : "",
    };
  });

  const maths = [...document.querySelectorAll(".math")];
  const math = {
    count: maths.length,
    unrendered: maths.filter(m => !m.querySelector("mjx-container"))
      .map(m => text(m).slice(0, 80)),
    errors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")]
      .map(e => e.getAttribute("data-mjx-error") || text(e)).slice(0, 5),
    rendered: document.querySelectorAll("mjx-container").length,
  };

  // Prose text nodes of the article, outside code, outputs and typeset math.
  const article = document.querySelector("article") || document.body;
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight, .output";
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const prose = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) prose.push(node.nodeValue);
  }

  const links = [...document.querySelectorAll("a[href]")]
    .map(a => ({href: a.getAttribute("href"), url: a.href, text: text(a).slice(0, 60)}));
  const sidebar = document.querySelector("nav.bd-docs-nav, #bd-docs-nav");
  const launch = [...document.querySelectorAll(".dropdown-launch-buttons a")]
    .map(a => ({href: a.href, title: a.getAttribute("title") || text(a)}));
  return {
    headings, images, math, prose: prose.join(" "), links, launch,
    sidebarShown: !!sidebar && shown(sidebar),
    sidebar: sidebar ? [...sidebar.querySelectorAll("a[href]")].map(a => a.href) : [],
  };
}"""

# Raw TeX that MathJax should have consumed.
_RAW_TEX = re.compile(
    r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\$[^$\s](?:[^$\n]{0,200}?[^$\s\\])?\$")


def local_path(url: str, base: str, html: Path) -> Path | None:
    """The file under ``html`` that a same-origin ``url`` names, or None for other origins."""
    if not url.startswith(base):
        return None
    path = unquote(urlsplit(url).path)
    target = html / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    return target


def check_page(page: str, data: dict, base: str, html: Path, url: str) -> list[str]:
    """Every failure of the structural checks on one page, as readable lines."""
    problems: list[str] = []

    # Accessibility: one h1, levels never skipped going down.
    levels = [h["level"] for h in data["headings"]]
    h1s = [h["text"] for h in data["headings"] if h["level"] == 1]
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} visible <h1> (want exactly 1): {h1s}")
    if levels and levels[0] != 1:
        problems.append(f"the first heading is h{levels[0]}, not h1")
    for previous, heading in zip(data["headings"], data["headings"][1:], strict=False):
        if heading["level"] > previous["level"] + 1:
            problems.append(f"heading level skipped: h{previous['level']} "
                            f"{previous['text']!r} -> h{heading['level']} {heading['text']!r}")

    # Images: loaded, and described by alt text or a caption.
    for img in data["images"]:
        if not img["loaded"]:
            problems.append(f"image did not load: {img['src']}")
        src_name = Path(urlsplit(img["resolved"]).path).name
        alt_is_text = img["alt"] and Path(img["alt"]).name != src_name
        if not (alt_is_text or img["figcaption"] or img["captionBelowCell"]):
            problems.append(
                f"image without alt text or caption: {img['src']} (give it alt text, or put "
                "its caption in the markdown cell right below the figure's cell)")

    # Equations: all typeset, none with a TeX error, no raw TeX left in the prose.
    math = data["math"]
    if math["unrendered"]:
        problems.append(f"{len(math['unrendered'])} of {math['count']} equations not typeset "
                        f"by MathJax, e.g. {math['unrendered'][:3]}")
    if math["count"] and not math["rendered"]:
        problems.append("the page has equations but no MathJax output (mjx-container)")
    if math["errors"]:
        problems.append(f"MathJax errors: {math['errors']}")
    raw = sorted({m.group(0)[:60] for m in _RAW_TEX.finditer(data["prose"])})
    if raw:
        problems.append(f"raw TeX left in the text: {raw[:5]}")

    # Links to the book's own files: the file exists, and so does the anchor.
    for link in data["links"]:
        target = local_path(link["url"], base, html)
        if target is None or link["href"].startswith(("javascript:", "mailto:")):
            continue
        if not target.is_file():
            problems.append(f"broken link {link['href']!r} ({link['text']!r}): no {target}")
            continue
        fragment = unquote(urlsplit(link["url"]).fragment)
        if fragment and target.suffix == ".html" and fragment not in html_ids(target):
            problems.append(f"broken anchor {link['href']!r} ({link['text']!r}): "
                            f"no id {fragment!r} in {target.relative_to(html)}")

    # The sidebar lists every toc entry.
    if not data["sidebarShown"]:
        problems.append("the sidebar (nav.bd-docs-nav) is not shown")
    listed = {urlsplit(href).path for href in data["sidebar"]}
    missing = [p for p in toc_pages() if urlsplit(urljoin(base, f"{p}.html")).path not in listed]
    if missing:
        problems.append(f"sidebar does not list toc entries: {missing}")

    # Chapter notebooks: the Colab launch button (and any other Colab link) opens this notebook.
    expected = expected_colab_url(page)
    if expected is not None:
        colab = [a["href"] for a in data["launch"] if "colab" in a["href"]]
        if colab != [expected]:
            problems.append(f"Colab launch button(s) {colab}, expected [{expected!r}]")
        others = {link["url"] for link in data["links"]
                  if link["url"].startswith("https://colab.research.google.com/")}
        if others - {expected}:
            problems.append(f"Colab links to another notebook: {sorted(others - {expected})}")
    return problems


# --- The test -------------------------------------------------------------------------------

def test_toc_pages_are_built(site) -> None:
    """Each toc entry has its HTML page (the browser test below visits each of them)."""
    _, html = site
    missing = [page for page in toc_pages() if not (html / f"{page}.html").is_file()]
    assert not missing, f"toc entries without a built page: {missing}"


@pytest.mark.parametrize("page", toc_pages())
def test_page_in_browser(page: str, site, browser, report) -> None:
    base, html = site
    url = urljoin(base, f"{page}.html")
    if not (html / f"{page}.html").is_file():
        pytest.fail(f"{page}.html was not built")

    start = time.perf_counter()
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    console: list[str] = []
    outside: list[str] = []
    failed: list[str] = []

    def is_local(request_url: str) -> bool:
        return request_url.startswith(base) or request_url.startswith(("data:", "blob:"))

    # Offline: any request for another host is recorded and aborted before it leaves.
    context.route(lambda u: not is_local(u),
                  lambda route: (outside.append(route.request.url), route.abort()))
    page_ = context.new_page()
    page_.set_default_timeout(PAGE_TIMEOUT_MS)
    page_.on("console", lambda msg: console.append(f"console.{msg.type}: {msg.text}")
             if msg.type == "error" else None)
    page_.on("pageerror", lambda error: console.append(f"uncaught exception: {error}"))
    page_.on("requestfailed", lambda request: failed.append(
        f"request failed: {request.url} ({request.failure})") if is_local(request.url) else None)
    page_.on("response", lambda response: failed.append(
        f"HTTP {response.status}: {response.url}")
        if is_local(response.url) and not 200 <= response.status < 300 else None)
    try:
        response = page_.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        page_.evaluate(_SETTLE_JS)
        page_.wait_for_load_state("networkidle")
        data = page_.evaluate(_INSPECT_JS)
        shot = html.parent / "screenshots" / f"{page}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page_.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
        report[page] = time.perf_counter() - start

    problems = [line for line in console if line not in KNOWN_UPSTREAM_ERRORS] + failed
    problems += [f"request left 127.0.0.1: {u}" for u in outside]
    problems += check_page(page, data, base, html, url)
    assert not problems, f"{page}.html ({url}):\n  " + "\n  ".join(problems)
