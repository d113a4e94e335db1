"""Every table of the service, imported once so Alembic and tests see the whole schema."""

from __future__ import annotations

from runflow.auth import models as _auth
from runflow.batches import models as _batches
from runflow.callbacks import models as _callbacks
from runflow.catalog import models as _catalog
from runflow.credits import models as _credits
from runflow.dashboard import models as _dashboard
from runflow.db.base import Base
from runflow.engine import models as _engine
from runflow.idempotency import models as _idempotency
from runflow.keyring import models as _keyring
from runflow.media import models as _media
from runflow.runs import models as _runs
from runflow.webhooks import models as _webhooks
from runflow.workers import models as _workers

__all__ = ["target_metadata"]

_DOMAINS = (
    _auth,
    _batches,
    _callbacks,
    _catalog,
    _credits,
    _dashboard,
    _engine,
    _idempotency,
    _keyring,
    _media,
    _runs,
    _webhooks,
    _workers,
)
target_metadata = Base.metadata
