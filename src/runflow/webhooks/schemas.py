"""The signing secret as customers see it."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from runflow.kit.schemas import Schema


class RetiringSecret(Schema):
    """A rotated-out secret that still signs, alongside the current one, until `expires_at`."""

    id: uuid.UUID
    secret: str
    created_at: datetime
    expires_at: datetime


class SigningSecretRead(BaseModel):
    """Verify callbacks with `secret` (Standard Webhooks, `whsec_…`); during a rotation each
    callback carries one `v1,` signature per secret in `webhook-signature`."""

    id: uuid.UUID
    secret: str
    created_at: datetime
    retiring: list[RetiringSecret]
