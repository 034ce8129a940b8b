"""The website: built with warnings as errors, every internal link resolves, and a real browser sees it whole.

The site is built once per session by scripts/build_site.py in the docs environment (``./course
test`` and ``./course docs`` make ``.venvs/docs``), from the executed notebooks (``build/smoke/notebooks`` after
``./course run``, else the committed ones). The browser check (scripts/check_site.py) needs Debian's
``chromium`` and ``chromium-driver``: without them the browser test is skipped with what to install,
except under CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from course_utils.machinery.repository import colab_url

pytestmark = pytest.mark.main_env

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "site"
CHECK = ROOT / "build" / "site-check"
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted(p.stem for p in (ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))


def docs_python() -> Path:
    python = Path(sys.prefix).parent / "docs" / "bin" / "python"
    if not python.is_file():
        pytest.skip("the docs environment is missing: ./course docs or ./course test builds it")
    return python


@pytest.fixture(scope="session")
def site() -> dict:
    done = subprocess.run(
        [str(docs_python()), "scripts/build_site.py", "--out", str(SITE)], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"the site build failed (warnings are errors):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return json.loads((SITE.parent / "site-build.json").read_text())


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("id", "name"):
            if values.get(name):
                self.ids.add(values[name])  # type: ignore[arg-type]
        for name in ("href", "src"):
            if values.get(name) and tag in {"a", "img", "link", "script"}:
                self.links.append(values[name])  # type: ignore[arg-type]


def parse(page: Path) -> _Page:
    parsed = _Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    return parsed


def test_the_site_builds_with_a_page_per_notebook(site: dict) -> None:
    assert site["pages"] >= len(LESSONS) + len(SOLUTIONS) + 4
    for stem in LESSONS:
        assert (SITE / "notebooks" / f"{stem}.html").is_file()
    for stem in SOLUTIONS:
        assert (SITE / "notebooks" / "solutions" / f"{stem}.html").is_file()
    for page in ("index", "environments", "workshops", "api"):
        assert (SITE / f"{page}.html").is_file()


def test_every_internal_link_and_anchor_resolves(site: dict) -> None:
    pages = {page: parse(page) for page in SITE.rglob("*.html") if "_static" not in page.parts}
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(SITE)}: {link} (no file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(SITE)}: {link} (no anchor)")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("relative", [f"{s}.ipynb" for s in LESSONS] + [f"solutions/{s}.ipynb" for s in SOLUTIONS])
def test_each_notebook_page_links_colab_and_a_download_and_says_how_it_ran(site: dict, relative: str) -> None:
    page = SITE / "notebooks" / relative.replace(".ipynb", ".html")
    parsed = parse(page)
    assert colab_url(f"notebooks/{relative}") in parsed.links
    downloads = [link for link in parsed.links if link.endswith(Path(relative).name) and "_downloads" in link]
    assert len(downloads) == 1, downloads
    downloaded = (page.parent / downloads[0]).resolve()
    source = Path(site["notebooks"]) / relative
    assert downloaded.read_bytes() == source.read_bytes(), "the download is the executed notebook itself"
    recorded = json.loads(source.read_text())["metadata"]["course"]
    text = page.read_text(encoding="utf-8")
    assert f"Executed in the <code class=\"docutils literal notranslate\"><span class=\"pre\">{recorded['profile']}</span></code> profile" in text
    assert f"transformers {recorded['versions']['transformers']}" in text


def test_the_api_reference_documents_the_package(site: dict) -> None:
    text = (SITE / "api.html").read_text(encoding="utf-8")
    for name in ("course_utils.claims.check_claims", "course_utils.machinery.fetch.verify", "course_utils.machinery.rehearsal.seed",
                 "course_utils.weighted_trainer.WeightedLossTrainer", "course_utils.machinery.assets.require_hub_assets",
                 "course_utils.machinery.smoke_hub.ensure_seeded"):
        assert f'id="{name}"' in text, name


@pytest.fixture(scope="session")
def browser_report(site: dict) -> dict:
    done = subprocess.run(
        [str(docs_python()), "scripts/check_site.py", "--site", str(SITE), "--out", str(CHECK)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    if done.returncode == 3:
        message = done.stderr.strip()
        if os.environ.get("CI"):
            pytest.fail(f"CI must check the site in a browser: {message}")
        pytest.skip(f"the browser check did not run: {message}")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((CHECK / "report.json").read_text())


def test_no_page_logs_a_console_error(browser_report: dict) -> None:
    errors = {page: seen["console_errors"] for page, seen in browser_report["pages"].items() if seen["console_errors"]}
    assert not errors


def test_every_image_loads_with_a_size(browser_report: dict) -> None:
    broken = [
        (page, image["src"]) for page, seen in browser_report["pages"].items() for image in seen["images"]
        if not (image["complete"] and image["width"] > 0 and image["height"] > 0)
    ]
    assert not broken
    plots = {page: sum(image["in_output"] for image in seen["images"]) for page, seen in browser_report["pages"].items()}
    assert plots["notebooks/01_trainer_weighted_loss.html"] >= 2, "01 shows its plots"
    assert plots["notebooks/02_keras_to_tf_dataset.html"] >= 1, "02 shows its plots"


def test_every_figure_in_a_notebook_has_alt_text(browser_report: dict) -> None:
    without = [
        (page, image["src"]) for page, seen in browser_report["pages"].items() for image in seen["images"]
        # without alt text, docutils puts the image's own path there
        if image["in_output"] and (not image.get("alt", "").strip() or "_images/" in image["alt"])
    ]
    assert not without, "a figure without alt text: set its cell's metadata mystnb.image.alt"


def test_notebook_pages_show_code_and_outputs(browser_report: dict) -> None:
    for stem in LESSONS:
        seen = browser_report["pages"][f"notebooks/{stem}.html"]
        assert seen["code_cells"] >= 5 and seen["outputs"] >= 5, (stem, seen["code_cells"], seen["outputs"])


def test_no_code_or_output_scrolls_sideways(browser_report: dict) -> None:
    # issue 20: in a 1300 px window, long lines (the Colab cell, setup()'s output) scrolled out of sight
    sideways = {page: seen["sideways"] for page, seen in browser_report["pages"].items() if seen["sideways"]}
    assert not sideways, f"code a reader must scroll sideways to read (site/_static/course.css wraps it): {sideways}"


def test_the_landing_page_lists_every_notebook_with_its_headline(browser_report: dict) -> None:
    rows = browser_report["pages"]["index.html"]["table_rows"]
    assert len(rows) == len(LESSONS)
    for stem, row in zip(LESSONS, rows):
        assert row.startswith(stem[:2] + " · "), (stem, row)
        assert len(row.split("\n")[-1].strip()) > 10, f"{stem}: a headline"
    assert (CHECK / "landing.png").stat().st_size > 10_000 and (CHECK / "notebook-01.png").stat().st_size > 10_000
