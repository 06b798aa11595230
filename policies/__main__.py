"""Entry point the CLI runs (`python -m pulumi.policy <engine> <pack dir>`): build the pack and serve it.

PolicyPack(...) prints its gRPC port and blocks forever, so this file does nothing else; the rules live in the
importable `webex_guard` package.
"""

import sys
from pathlib import Path

# runpy.run_path(<pack dir>) already puts the pack dir first on sys.path; keep `import webex_guard` working if the
# pack is ever started another way (e.g. `python policies/__main__.py`).
_PACK_DIR = str(Path(__file__).resolve().parent)
if _PACK_DIR not in sys.path:
    sys.path.insert(0, _PACK_DIR)

from pulumi_policy import PolicyPack  # noqa: E402
from webex_guard import PACK_DESCRIPTION, PACK_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES  # noqa: E402

PolicyPack(
    PACK_NAME,
    policies=list(POLICIES),
    enforcement_level=PACK_ENFORCEMENT_LEVEL,
    description=PACK_DESCRIPTION,
)
