"""Asynchronous resources, one per area of the API."""

from runflow_sdk._async.resources.account import AsyncAccount
from runflow_sdk._async.resources.batches import AsyncBatches
from runflow_sdk._async.resources.evaluations import AsyncEvaluations
from runflow_sdk._async.resources.events import AsyncEvents
from runflow_sdk._async.resources.media import AsyncMedia
from runflow_sdk._async.resources.models import AsyncModels
from runflow_sdk._async.resources.runs import AsyncRuns
from runflow_sdk._async.resources.status import AsyncStatus
from runflow_sdk._async.resources.webhooks import (
    AsyncWebhookDeliveries,
    AsyncWebhookEndpoints,
    AsyncWebhooks,
)

__all__ = [
    "AsyncAccount",
    "AsyncBatches",
    "AsyncEvaluations",
    "AsyncEvents",
    "AsyncMedia",
    "AsyncModels",
    "AsyncRuns",
    "AsyncStatus",
    "AsyncWebhookDeliveries",
    "AsyncWebhookEndpoints",
    "AsyncWebhooks",
]
