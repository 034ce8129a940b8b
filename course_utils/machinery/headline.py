"""A notebook's headline: the first line printed by its cell tagged ``headline``.

Used by scripts/run_notebooks.py (the run command's table) and scripts/build_site.py (the
website's landing page). Standard library only: ``nb`` is a notebook as nbformat reads it, or
the same structure as plain dicts.
"""

from __future__ import annotations

from typing import Any, Mapping

HEADLINE_TAG = "headline"


def headline_of(nb: Mapping[str, Any]) -> str:
    """First non-empty line of text printed by the cell tagged ``headline`` (empty when there is none)."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or HEADLINE_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else str(text)  # raw JSON keeps lines as a list
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[0]
    return ""
