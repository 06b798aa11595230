"""The stacks of a project: each `Pulumi.<stack>.yaml` beside Pulumi.yaml, as the Pulumi CLI names stack files.

Standard library only, so a workflow can list them before any virtualenv exists: `python3 -m webex_scim.stacks`
prints `stacks=["dev", …]`, a line for `$GITHUB_OUTPUT` that a job's matrix reads (`make stacks`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PREFIX, SUFFIX = "Pulumi.", ".yaml"


def stack_names(project_dir: Path) -> list[str]:
    """Every stack of the project, sorted by name."""
    return sorted(
        p.name[len(PREFIX) : -len(SUFFIX)]
        for p in project_dir.glob(f"{PREFIX}*{SUFFIX}")
        if p.is_file() and len(p.name) > len(PREFIX) + len(SUFFIX)
    )


if __name__ == "__main__":
    print("stacks=" + json.dumps(stack_names(Path(sys.argv[1] if len(sys.argv) > 1 else "."))))
