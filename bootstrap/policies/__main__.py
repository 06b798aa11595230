"""Entry point the CLI runs (`python -m pulumi.policy <engine> <pack dir>`): build the pack and serve it.

PolicyPack(...) prints its gRPC port and blocks forever, so the rules live in the importable `identity_guard`.
"""

import sys
from pathlib import Path

# runpy.run_path(<pack dir>) already puts the pack dir first on sys.path; keep `import identity_guard` working if
# the pack is ever started another way.
_PACK_DIR = str(Path(__file__).resolve().parent)
if _PACK_DIR not in sys.path:
    sys.path.insert(0, _PACK_DIR)

from identity_guard import PACK_DESCRIPTION, PACK_NAME, POLICIES  # noqa: E402
from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

PolicyPack(
    PACK_NAME, policies=list(POLICIES), enforcement_level=EnforcementLevel.MANDATORY, description=PACK_DESCRIPTION
)
