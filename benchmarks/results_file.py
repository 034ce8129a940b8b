"""How the benchmarks write their figures: one JSON file each, under benchmarks/results/.

Imported by the benchmark scripts (``python benchmarks/<name>.py`` puts this folder on the path).
"""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def write_results(output: Path, benchmark: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Write ``fields`` to ``output`` as JSON, after the benchmark's name, the date and the machine; return it all."""
    result = {
        "benchmark": benchmark,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{cpu_model()}, {platform.machine()}, {os.cpu_count()} cores",
        **fields,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    return result


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or the platform's processor string elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
