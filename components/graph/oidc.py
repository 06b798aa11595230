"""The federated token of an OIDC sign-in (azuread `useOidc`): a given token, a token file, or GitHub Actions' ID
token service, read each time it is needed (GitHub's tokens are short-lived).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from components.graph.auth_settings import AuthSettings, CredentialError

OIDC_AUDIENCE = "api://AzureADTokenExchange"


def oidc_assertion(settings: AuthSettings) -> Callable[[], str]:
    """A callable returning a fresh federated token; read lazily because GitHub's tokens are short-lived."""
    token = settings.get("oidcToken")
    token_file = settings.get("oidcTokenFilePath")
    request_url = settings.get("oidcRequestUrl")
    request_token = settings.get("oidcRequestToken")
    if token_file:
        path = Path(token_file)

        def from_file() -> str:
            text = path.read_text(encoding="utf-8").strip()
            if token and token != text:
                raise CredentialError(
                    f"{settings.name('oidcToken')} and the file at {settings.name('oidcTokenFilePath')} differ"
                )
            return text

        return from_file
    if token:
        return lambda: token
    if request_url and request_token:

        def from_github() -> str:
            # The request URL already carries its own query (`?api-version=2.0`): add `audience` to it, as GitHub's
            # toolkit and go-azure-sdk's github_oidc_authorizer.go do. httpx's `params=` would replace the query.
            url = httpx.URL(request_url).copy_merge_params({"audience": OIDC_AUDIENCE})
            response = httpx.get(url, headers={"Authorization": f"Bearer {request_token}"}, timeout=30.0)
            if response.status_code != 200:
                # The request token is a secret: name the endpoint's answer only.
                raise CredentialError(f"GitHub OIDC token request failed with HTTP {response.status_code}")
            return str(response.json()["value"])

        return from_github
    raise CredentialError(
        f"OIDC ({settings.name('useOidc')}) needs a token: {settings.name('oidcToken')}, "
        f"{settings.name('oidcTokenFilePath')}, or the GitHub Actions request variables "
        "(ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN; grant `id-token: write`)"
    )
