"""Writing a report's lines to the terminal, styled where it has colour.

Its own module, importing no SDK: a diff prints its report with it after both sides have finished, and importing
the Pulumi SDK there (offline/render.py does, for the runs it reads) would add the SDK's import to the diff's last
step (see the diff row of `make bench`).
"""

from __future__ import annotations

import os
import sys
from typing import Any


def print_tree(lines: list[tuple[str, str]], *, color: bool | None = None) -> None:
    """Write the lines, styled where the terminal has colour. rich decides colour support (NO_COLOR, pipes, CI),
    but each line is rendered on its own: one giant rich Text for 5,000 resources takes seconds to wrap."""
    if color is False or (not sys.stdout.isatty() and not os.environ.get("FORCE_COLOR")):
        # Plain text for pipes, files and CI logs: no need to import rich to decide that.
        sys.stdout.write("".join(line + "\n" for _, line in lines))
        sys.stdout.flush()
        return
    from rich.color import ColorSystem
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    systems = {
        "standard": ColorSystem.STANDARD,
        "256": ColorSystem.EIGHT_BIT,
        "truecolor": ColorSystem.TRUECOLOR,
        "windows": ColorSystem.WINDOWS,
    }
    system = None if console.no_color else systems.get(console.color_system or "")
    styles: dict[str, Any] = {}
    out = []
    for style, line in lines:
        if style and system is not None:
            if style not in styles:
                styles[style] = console.get_style(style)
            line = styles[style].render(line, color_system=system)
        out.append(line + "\n")
    console.file.write("".join(out))
    console.file.flush()
