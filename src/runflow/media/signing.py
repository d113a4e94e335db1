"""Signed, expiring URLs: whoever holds one may read a media object (or send an upload's bytes)
until it expires, without an API key — like an S3 presigned URL.

`signature = base64url(HMAC-SHA256(secret, "{purpose}:{id}:{expires}"))`, where `expires` is a
Unix time in seconds. The purpose keeps a download URL from being replayed as an upload URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

from runflow.kit.clock import utcnow

MEDIA_URL_SECRET = "media-url-signing"

DOWNLOAD = "content"
UPLOAD = "upload"


class UrlSigner:
    def __init__(self, secret: str, public_url: str) -> None:
        self._key = secret.encode()
        self.public_url = public_url.rstrip("/")

    def _signature(self, purpose: str, object_id: uuid.UUID, expires: int) -> str:
        message = f"{purpose}:{object_id}:{expires}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, purpose: str, object_id: uuid.UUID, expires_at: datetime) -> str:
        """The query string `expires=…&signature=…` of a URL valid until `expires_at`."""
        expires = int(expires_at.timestamp())
        return f"expires={expires}&signature={self._signature(purpose, object_id, expires)}"

    def content_url(self, media_id: uuid.UUID, ttl: timedelta) -> tuple[str, datetime]:
        """A download URL valid for `ttl` (whole seconds), and when it expires."""
        expires_at = datetime.fromtimestamp(int((utcnow() + ttl).timestamp()), UTC)
        query = self.sign(DOWNLOAD, media_id, expires_at)
        return f"{self.public_url}/v1/media/{media_id}/content?{query}", expires_at

    def upload_url(self, upload_id: uuid.UUID, expires_at: datetime) -> str:
        query = self.sign(UPLOAD, upload_id, expires_at)
        return f"{self.public_url}/v1/media/uploads/{upload_id}/content?{query}"

    def verify(
        self, purpose: str, object_id: uuid.UUID, expires: str | None, signature: str | None
    ) -> str | None:
        """None when the signature is genuine and unexpired, else why not."""
        if not expires or not signature:
            return "is not signed"
        if not expires.isdigit() or len(expires) > 12:
            return "has an invalid signature"
        expected = self._signature(purpose, object_id, int(expires))
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return "has an invalid signature"
        if int(expires) < utcnow().timestamp():
            return "has expired"
        return None
