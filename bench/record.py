"""`python -m bench.record STACK_FILE OUT.json`: what one offline run registers, for the bare-SDK floor to repeat.

Runs the program once under the offline engine (untimed) and writes every registration but the stack's: type,
name, parent, custom or component, displayed inputs, and the URNs it depends on, so bench/floor.py can register
the same resources with the same dependency graph (an AppRoleAssignment waits for the service principal in
both) and nothing else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from offline import engine, stackfile
from offline.render import display_inputs

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(stack_file: str, out: str) -> None:
    cfg = stackfile.load(PROJECT_DIR, config_file=Path(stack_file))
    run = engine.run_program(cfg)
    resources = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "inputs": display_inputs(r.inputs),
            "dependencies": list(r.options.get("dependencies") or []),
        }
        for r in run.resources
        if r.type != engine.STACK_TYPE
    ]
    spec = {"project": run.project, "stack": run.stack, "resources": resources, "total": len(run.resources)}
    Path(out).write_text(json.dumps(spec), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
