"""The bootstrap's settings: each bad key is one line naming the key, what is wrong and the command that fixes it;
the offline preview exits 2 with them and no traceback."""

from __future__ import annotations

from typing import Any

import pytest
from bootstrap_support import BOOTSTRAP, example_config, write_stack

from webex_scim.cli import main

NS = "webex-scim-bootstrap"


def problems(tmp_path, capsys, **changes: Any) -> list[str]:
    path = write_stack(tmp_path, **changes)
    code = main(["preview", "--project-dir", str(BOOTSTRAP), "--config-file", str(path), "--no-policies"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return [line.strip()[2:] for line in err.splitlines() if line.strip().startswith("- ")]


def identity(role: str, **values: Any) -> dict[str, Any]:
    return {**example_config()[f"{role}Identity"], **values}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"repository": None},
            f"{NS}:repository: required but not set; run `pulumi config set repository contoso/webex-scim`",
        ),
        (
            {"repository": "https://github.com/contoso/webex-scim"},
            f"{NS}:repository: 'https://github.com/contoso/webex-scim' is not a GitHub repository written as "
            "owner/name; run `pulumi config set repository contoso/webex-scim`",
        ),
        (
            {"deployIdentity": identity("deploy", permissions=["AppRoleAssignment.ReadWrite.Al"])},
            f"{NS}:deployIdentity.permissions[0]: 'AppRoleAssignment.ReadWrite.Al' is not a Microsoft Graph "
            "permission this project grants (did you mean AppRoleAssignment.ReadWrite.All?",
        ),
        (
            {"readIdentity": identity("read", environments=["pull request"])},
            f"{NS}:readIdentity.environments[0]: 'pull request' is not a GitHub environment name",
        ),
        (
            {"deployIdentity": identity("deploy", environments=[])},
            f"{NS}:deployIdentity.environments: must name at least one GitHub environment, or the identity can never "
            "sign in; run `pulumi config set --path 'deployIdentity.environments[0]' production`",
        ),
        (
            {"readIdentity": identity("read", environments=["preview", "preview"])},
            f"{NS}:readIdentity.environments: lists preview twice; keep one",
        ),
        (
            {"readIdentity": "webex-scim read"},
            f"{NS}:readIdentity: must be a mapping (`displayName: ...` indented under it); run "
            "`pulumi config set --path 'readIdentity.displayName' 'webex-scim read'`",
        ),
        (
            {"deployIdentity": identity("deploy", displayName="  ")},
            f"{NS}:deployIdentity.displayName: must not be empty; run "
            "`pulumi config set --path 'deployIdentity.displayName' 'webex-scim deploy'`",
        ),
        (
            {"readIdentity": identity("read", colour="blue")},
            f"{NS}:readIdentity.colour: is not a setting of this stack (known here: displayName, environments, "
            "permissions, acceptTenantWide); remove it: `pulumi config rm --path 'readIdentity.colour'`",
        ),
        (
            {"webexServicePrincipalObjectId": "Cisco Webex"},
            f"{NS}:webexServicePrincipalObjectId: 'Cisco Webex' is not an object ID",
        ),
        (
            {"mainStack": "acme/webex-scim/dev"},
            f"{NS}:mainStack: the Cisco Webex app is already named by webexServicePrincipalObjectId; keep one: "
            "`pulumi config rm mainStack`",
        ),
        (
            {"deployIdentity": identity("deploy", acceptTenantWide=["AppRoleAssignment.ReadWrite.All"])},
            f"{NS}:deployIdentity.acceptTenantWide[0]: accepts AppRoleAssignment.ReadWrite.All, which "
            "deployIdentity.permissions does not grant",
        ),
        (
            {"deployIdentity": identity("deploy", acceptTenantWide=["User.Read.All"])},
            f"{NS}:deployIdentity.acceptTenantWide[0]: User.Read.All is not a tenant-wide privileged permission",
        ),
        ({"tyop": "x"}, f"{NS}:tyop: is not a setting of this stack"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_a_bad_key_is_one_line_naming_it_and_the_fix(tmp_path, capsys, changes, expected):
    found = problems(tmp_path, capsys, **changes)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found[0]


def test_every_bad_key_is_named_in_one_run(tmp_path, capsys):
    found = problems(
        tmp_path,
        capsys,
        repository="nope",
        readIdentity=identity("read", permissions=["Nope.Read"]),
        deployIdentity=identity("deploy", environments=["a b"]),
    )
    assert [line.split(":", 2)[1] for line in found] == [
        "repository",
        "readIdentity.permissions[0]",
        "deployIdentity.environments[0]",
    ]
