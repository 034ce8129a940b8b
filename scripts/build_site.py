"""Build the course website from the notebooks the run command executed (``./course docs``).

Runs in the docs environment (Sphinx, MyST-NB, the book theme). Stages ``site/`` and the executed
notebooks into ``build/site-src/``, then runs Sphinx with warnings as errors into ``build/site/``.
Nothing is executed again: the pages show the outputs the run command stored.

The executed notebooks come from ``--notebooks`` if given, else ``build/smoke/notebooks/`` (what
``./course run`` wrote) when it holds every notebook, else ``notebooks/`` (committed with the
outputs of ``./course refresh``, the same runner). Each notebook page gets, under its title, "Open
in Colab" and "Download" links and the profile and library versions it ran with (recorded by the
runner in the notebook's metadata). The landing page lists the notebooks with their headlines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.machinery.environments import course_notebooks  # noqa: E402
from course_utils.machinery.headline import headline_of  # noqa: E402
from course_utils.machinery.repository import colab_url  # noqa: E402

def choose_source(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    committed = ROOT / "notebooks"
    executed = ROOT / "build" / "smoke" / "notebooks"
    wanted = {p.relative_to(committed) for p in course_notebooks(committed)}
    have = {p.relative_to(executed) for p in course_notebooks(executed)}
    return executed if wanted and wanted <= have else committed


def title_of(nb: nbformat.NotebookNode) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise SystemExit("every notebook starts with a '# title' markdown cell")


def execution_note(nb: nbformat.NotebookNode, name: str) -> str:
    recorded = nb.metadata.get("course")
    if not recorded:
        raise SystemExit(
            f"{name} does not say how it was executed (metadata.course): build the site from notebooks "
            "written by ./course run (or stored by ./course refresh)."
        )
    ordered = sorted(recorded["versions"].items(), key=lambda item: (item[0] != "python", item[0]))  # Python first
    versions = ", ".join(f"{'Python' if library == 'python' else library} {version}" for library, version in ordered)
    return f"Executed in the `{recorded['profile']}` profile, {recorded['environment']} environment: {versions}."


def stage_notebook(source: Path, relative: Path, staging: Path, url: str) -> nbformat.NotebookNode:
    """Copy one executed notebook into the staging folder, with its links and execution note under the title."""
    nb = nbformat.read(source, as_version=4)
    raw = staging / "_downloads_src" / relative
    raw.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, raw)
    page = staging / "notebooks" / relative
    page.parent.mkdir(parents=True, exist_ok=True)
    up = "../" * len(relative.parts)  # from the page's folder back to the staging root
    banner = (
        f"[Open in Colab]({colab_url('notebooks/' + relative.as_posix(), url)}) · "
        f"{{download}}`Download the notebook <{up}_downloads_src/{relative.as_posix()}>` · "
        + execution_note(nb, relative.as_posix())
    )
    staged = nbformat.from_dict(json.loads(json.dumps(nb)))
    title = next(cell for cell in staged.cells if cell.cell_type == "markdown")
    heading, _, rest = title.source.partition("\n")
    title.source = f"{heading}\n\n{banner}\n{rest}"  # right under the page's title
    nbformat.write(staged, page)
    return nb


def landing_table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| notebook | environment | headline of the last run |", "|---|---|---|"]
    for link, title, env, headline in rows:
        lines.append(f"| [{title}]({link}) | {env} | {headline.replace('|', '/')} |")
    return "\n".join(lines)


def stage(source: Path, staging: Path, url: str) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(ROOT / "site", staging)
    rows, toctree, solutions = [], [], []
    for path in course_notebooks(source):
        relative = path.relative_to(source)
        nb = stage_notebook(path, relative, staging, url)
        lesson = path.parent == source
        (toctree if lesson else solutions).append(f"notebooks/{relative.with_suffix('').as_posix()}")
        if lesson:
            env = nb.metadata.get("course", {}).get("environment", "")
            rows.append((f"notebooks/{relative.as_posix()}", title_of(nb), env, headline_of(nb)))
    index = staging / "index.md"
    text = index.read_text(encoding="utf-8")
    text = text.replace("<!-- notebooks -->", landing_table(rows))
    text = text.replace("<!-- toctree -->", "\n".join(toctree)).replace("<!-- solutions -->", "\n".join(solutions))
    index.write_text(text, encoding="utf-8")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=Path, help="folder of executed notebooks (default: see above)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args(argv)

    from course_utils.machinery.repository import repository_url

    start = time.monotonic()
    source = choose_source(args.notebooks)
    staging = args.out.parent / f"{args.out.name}-src"
    print(f"[site] notebooks from {source.relative_to(ROOT) if source.is_relative_to(ROOT) else source}")
    stage(source, staging, repository_url())
    shutil.rmtree(args.out, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-d", str(staging / "_doctrees"), str(staging), str(args.out)],
        cwd=ROOT,
        env={**os.environ, "COURSE_SITE_ROOT": str(ROOT)},
    )
    if done.returncode != 0:
        print("[site] the build failed: every Sphinx warning is an error (see above)", file=sys.stderr)
        return done.returncode
    seconds = time.monotonic() - start
    pages = len(list(args.out.rglob("*.html")))
    size = folder_size(args.out)
    print(f"[site] {pages} pages, {size / 1e6:.1f} MB in {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}, built in {seconds:.0f} s")
    (args.out.parent / f"{args.out.name}-build.json").write_text(
        json.dumps({"seconds": round(seconds, 1), "pages": pages, "bytes": size, "notebooks": str(source)}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
