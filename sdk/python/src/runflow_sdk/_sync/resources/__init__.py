"""Synchronous resources, one per area of the API."""

from runflow_sdk._sync.resources.account import Account
from runflow_sdk._sync.resources.batches import Batches
from runflow_sdk._sync.resources.evaluations import Evaluations
from runflow_sdk._sync.resources.events import Events
from runflow_sdk._sync.resources.media import Media
from runflow_sdk._sync.resources.models import Models
from runflow_sdk._sync.resources.runs import Runs
from runflow_sdk._sync.resources.status import Status
from runflow_sdk._sync.resources.webhooks import (
    WebhookDeliveries,
    WebhookEndpoints,
    Webhooks,
)

__all__ = [
    "Account",
    "Batches",
    "Evaluations",
    "Events",
    "Media",
    "Models",
    "Runs",
    "Status",
    "WebhookDeliveries",
    "WebhookEndpoints",
    "Webhooks",
]
