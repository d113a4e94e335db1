"""The Runflow API from Python.

```python
from runflow_sdk import Runflow

client = Runflow()  # RUNFLOW_API_KEY, RUNFLOW_BASE_URL
batch = client.batches.create("runflow/echo", input=[{"message": "hello"}])
print(client.batches.wait(batch.id).status_code)
```
"""

from runflow_sdk import types
from runflow_sdk._async.client import AsyncRunflow
from runflow_sdk._async.pagination import AsyncPager
from runflow_sdk._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientCreditsError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RunflowError,
    UnprocessableEntityError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from runflow_sdk._events import BatchProgress, StreamEvent
from runflow_sdk._parse import Page
from runflow_sdk._sync.client import Runflow
from runflow_sdk._sync.pagination import Pager
from runflow_sdk._version import __version__
from runflow_sdk.webhooks import WebhookEvent, verify

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPager",
    "AsyncRunflow",
    "AuthenticationError",
    "BadRequestError",
    "BatchProgress",
    "ConflictError",
    "InsufficientCreditsError",
    "InternalServerError",
    "NotFoundError",
    "Page",
    "Pager",
    "PermissionDeniedError",
    "RateLimitError",
    "Runflow",
    "RunflowError",
    "StreamEvent",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "WebhookEvent",
    "WebhookVerificationError",
    "__version__",
    "types",
    "verify",
]
