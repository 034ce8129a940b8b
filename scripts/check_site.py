"""Open every page of the built website in a real headless browser and report what a reader would see.

Runs in the docs environment (Selenium) with Debian's ``chromium`` and ``chromedriver``. Serves
``build/site`` over HTTP on 127.0.0.1, opens each page, and records per page: the browser console's
errors, every image and whether it loaded with a non-zero size, the number of code cells and of
outputs, the code blocks a reader would scroll sideways in a 1300 px wide window; from the landing
page, the notebooks its table lists. Saves screenshots of the landing page
and of one notebook page. Writes everything to ``build/site-check/report.json``; the test
(tests/test_site.py) asserts on it.

Exit status 3, with one line saying what to install, when no browser is found.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_BROWSER = 3
SCREENSHOTS = {"index.html": "landing.png", "notebooks/01_trainer_weighted_loss.html": "notebook-01.png"}

#: What the page tells us about itself, gathered in the browser once the page has loaded.
INSPECT = """
const images = Array.from(document.images).map(img => ({
    src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
    in_output: !!img.closest('.cell_output'), alt: img.alt,
}));
const rows = Array.from(document.querySelectorAll('table tbody tr')).map(tr => tr.innerText);
return {
    title: document.title,
    images: images,
    code_cells: document.querySelectorAll('div.cell div.cell_input').length,
    outputs: document.querySelectorAll('div.cell div.cell_output').length,
    table_rows: rows,
    links: Array.from(document.querySelectorAll('a')).map(a => a.href),
    // code and outputs a reader would have to scroll sideways to read
    sideways: Array.from(document.querySelectorAll('div.cell pre')).filter(pre => pre.scrollWidth > pre.clientWidth + 1)
        .map(pre => pre.innerText.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '').slice(0, 120)),
};
"""


def find_browser() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site-check")
    args = parser.parse_args(argv)

    found = find_browser()
    if found is None:
        print("no browser: install Chromium and its driver (Debian: apt-get install chromium chromium-driver)", file=sys.stderr)
        return NO_BROWSER
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})

    start = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    server, base = serve(args.site)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    report: dict[str, object] = {"browser": driver.capabilities.get("browserVersion", ""), "pages": {}}
    try:
        for page in sorted(args.site.rglob("*.html")):
            relative = page.relative_to(args.site).as_posix()
            if relative.startswith("_static/"):  # the theme's template fragments, not pages
                continue
            driver.get(f"{base}/{relative}")
            for _ in range(100):  # wait for the page and its images
                if driver.execute_script("return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"):
                    break
                time.sleep(0.05)
            seen = driver.execute_script(INSPECT)
            seen["console_errors"] = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
            report["pages"][relative] = seen  # type: ignore[index]
            if relative in SCREENSHOTS:
                driver.save_screenshot(str(args.out / SCREENSHOTS[relative]))
    finally:
        driver.quit()
        server.shutdown()
    report["seconds"] = round(time.monotonic() - start, 1)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    pages = report["pages"]
    errors = sum(len(p["console_errors"]) for p in pages.values())  # type: ignore[union-attr]
    print(f"[site check] {len(pages)} pages in Chromium {report['browser']}, {errors} console error(s), {report['seconds']} s; report in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
