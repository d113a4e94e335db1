"""`/v1/webhooks/signing-secret`: read and rotate the org's callback signing secret.

Both need a key that may write: whoever holds the secret can forge callbacks, so viewers and
read-only impersonation keys never see it.
"""

from __future__ import annotations

from fastapi import APIRouter

from runflow.auth.dependencies import Writer
from runflow.db.dependencies import WriteSession
from runflow.errors import ERROR_RESPONSES
from runflow.kit.clock import utcnow
from runflow.webhooks import service
from runflow.webhooks.models import SigningSecret
from runflow.webhooks.schemas import RetiringSecret, SigningSecretRead

router = APIRouter(prefix="/v1/webhooks", tags=["Webhooks"], responses=ERROR_RESPONSES)


def _read(live: list[SigningSecret]) -> SigningSecretRead:
    current, *retiring = live
    return SigningSecretRead(
        id=current.id,
        secret=current.secret,
        created_at=current.created_at,
        retiring=[RetiringSecret.model_validate(secret) for secret in retiring],
    )


@router.get(
    "/signing-secret", summary="Get the callback signing secret", operation_id="getSigningSecret"
)
async def get_signing_secret(session: WriteSession, principal: Writer) -> SigningSecretRead:
    """The secret that signs your callbacks (created on first use), and any still retiring."""
    live = await service.signing_secrets(session, [principal.org_id], utcnow())
    return _read(live[principal.org_id])


@router.post(
    "/signing-secret/rotate",
    summary="Rotate the callback signing secret",
    operation_id="rotateSigningSecret",
)
async def rotate_signing_secret(session: WriteSession, principal: Writer) -> SigningSecretRead:
    """Make a new secret current; the previous one keeps signing for 24 hours."""
    return _read(await service.rotate(session, principal.org_id, utcnow()))
