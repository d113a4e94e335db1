"""The API's types, generated from openapi.json by scripts/generate.py: do not edit."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AccountOrg(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    name: Annotated[str, Field(title="Name")]
    slug: Annotated[str, Field(title="Slug")]


class AccountUser(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    email: Annotated[str, Field(title="Email")]
    id: Annotated[UUID, Field(title="Id")]


class BatchCallbackPayload(BaseModel):
    """
    JSON payload delivered to a customer's callback_url when a batch reaches a terminal
    state. Frozen at delivery time and stored as payload_bytes on the delivery row. Datetimes
    serialize via .isoformat() (+00:00 not Z) to preserve byte-equivalence for HMAC
    verification on the customer side.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    batch_id: Annotated[UUID, Field(title="Batch Id")]
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    duration_ms: Annotated[int | None, Field(title="Duration Ms")] = None
    event: Annotated[str, Field(title="Event")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    output: Annotated[dict[str, Any] | None, Field(title="Output")] = None
    status: Annotated[str, Field(title="Status")]


class BatchCreate(BaseModel):
    """
    POST body for creating a batch.

    input is an array of per-item objects. Each item is validated independently against the
    target model's ModelInput declarations. Each item may carry an optional client_ref
    (≤255 chars, stripped before model validation); the model's own input shape fills the rest.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    input: Annotated[list[dict[str, Any]], Field(title="Input")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None


class BatchItemHandle(BaseModel):
    """
    Lean per-item correlation handle for POST /batches responses and
    ``GET /batches/{id}`` inline items. For the full per-item projection
    (input/output/cost/timestamps), use ``GET /batches/{id}/items``.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    client_ref: Annotated[str | None, Field(title="Client Ref")] = None
    id: Annotated[UUID, Field(title="Id")]
    run_id: Annotated[UUID, Field(title="Run Id")]
    sequence_index: Annotated[int, Field(title="Sequence Index")]
    status_code: Annotated[str, Field(title="Status Code")]


class BatchRetry(BaseModel):
    """
    POST body for a retry: which items to run again (by how they ended).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    status_codes: Annotated[list[str] | None, Field(title="Status Codes")] = [
        "failed",
        "cancelled",
    ]


class BatchSummary(BaseModel):
    """
    A batch without its per-item payloads: what lists return.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    cost: Annotated[str | None, Field(title="Cost")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    created_by: Annotated[UUID | None, Field(title="Created By")] = None
    dispatch_provider_link_id: Annotated[UUID | None, Field(title="Dispatch Provider Link Id")] = (
        None
    )
    duration_ms: Annotated[int | None, Field(title="Duration Ms")] = None
    failure_code: Annotated[str | None, Field(title="Failure Code")] = None
    failure_message: Annotated[str | None, Field(title="Failure Message")] = None
    failure_stage_code: Annotated[str | None, Field(title="Failure Stage Code")] = None
    id: Annotated[UUID | None, Field(title="Id")]
    items_cancelled: Annotated[int | None, Field(title="Items Cancelled")] = None
    items_failed: Annotated[int | None, Field(title="Items Failed")] = None
    items_succeeded: Annotated[int | None, Field(title="Items Succeeded")] = None
    items_total: Annotated[int | None, Field(title="Items Total")] = None
    links: Annotated[dict[str, Any] | None, Field(title="Links")] = None
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    org_id: Annotated[UUID | None, Field(title="Org Id")] = None
    resolved_template_id: Annotated[UUID | None, Field(title="Resolved Template Id")] = None
    source_code: Annotated[str | None, Field(title="Source Code")] = None
    started_at: Annotated[AwareDatetime | None, Field(title="Started At")] = None
    status_code: Annotated[str | None, Field(title="Status Code")] = None
    target_id: Annotated[UUID | None, Field(title="Target Id")] = None
    target_type: Annotated[str | None, Field(title="Target Type")] = None
    target_type_code: Annotated[str | None, Field(title="Target Type Code")] = None


class BodyCreateMedia(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    file: Annotated[
        str,
        Field(
            json_schema_extra={"contentMediaType": "application/octet-stream"},
            title="File",
        ),
    ]
    """
    The image or video (multipart field): a PNG, JPEG, WebP or GIF image, or an MP4 or QuickTime video, recognised by its content
    """
    folder: Annotated[str | None, Field(title="Folder")] = None


class CallbackAttemptRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    attempt_number: Annotated[int | None, Field(title="Attempt Number")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    delivery_id: Annotated[UUID | None, Field(title="Delivery Id")] = None
    error_message: Annotated[str | None, Field(title="Error Message")] = None
    id: Annotated[UUID | None, Field(title="Id")] = None
    response_body: Annotated[str | None, Field(title="Response Body")] = None
    response_time_ms: Annotated[int | None, Field(title="Response Time Ms")] = None
    status_code: Annotated[int | None, Field(title="Status Code")] = None


class CallbackDeliveryRead(BaseModel):
    """
    One delivery of a batch's callback (automatic, or a manual redelivery) and its attempts.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    attempt_count: Annotated[int | None, Field(title="Attempt Count")] = None
    attempts: Annotated[list[CallbackAttemptRead] | None, Field(title="Attempts")] = None
    batch_id: Annotated[UUID | None, Field(title="Batch Id")] = None
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    failure_detail: Annotated[str | None, Field(title="Failure Detail")] = None
    failure_reason_code: Annotated[str | None, Field(title="Failure Reason Code")] = None
    id: Annotated[UUID | None, Field(title="Id")] = None
    is_automatic: Annotated[bool | None, Field(title="Is Automatic")] = None
    max_attempts: Annotated[int | None, Field(title="Max Attempts")] = None
    next_attempt_at: Annotated[AwareDatetime | None, Field(title="Next Attempt At")] = None
    payload: BatchCallbackPayload | None = None
    payload_bytes: Annotated[str | None, Field(title="Payload Bytes")] = None
    signing_secret_id: Annotated[UUID | None, Field(title="Signing Secret Id")] = None
    status_code: Annotated[str | None, Field(title="Status Code")] = None
    updated_at: Annotated[AwareDatetime | None, Field(title="Updated At")] = None


class CreditTransactionRead(BaseModel):
    """
    One change of the balance: `amount` is signed (a grant adds, usage takes away) and
    `balance_after` is the balance it left.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    amount: Annotated[str | None, Field(title="Amount")] = None
    balance_after: Annotated[str | None, Field(title="Balance After")] = None
    batch_id: Annotated[UUID | None, Field(title="Batch Id")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    description: Annotated[str | None, Field(title="Description")] = None
    id: Annotated[UUID, Field(title="Id")]
    kind_code: Annotated[str | None, Field(title="Kind Code")] = None
    """
    `grant`, `usage`, `refund` or `adjustment`.
    """
    org_id: Annotated[UUID | None, Field(title="Org Id")] = None
    run_id: Annotated[UUID | None, Field(title="Run Id")] = None


class DeliveryAttemptRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    attempt_number: Annotated[int, Field(title="Attempt Number")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    error_message: Annotated[str | None, Field(title="Error Message")] = None
    id: Annotated[UUID, Field(title="Id")]
    response_body: Annotated[str | None, Field(title="Response Body")] = None
    response_time_ms: Annotated[int | None, Field(title="Response Time Ms")] = None
    status_code: Annotated[int | None, Field(title="Status Code")] = None


class ErrorResponse(BaseModel):
    """
    Standard error envelope — matches exception handler output.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    code: Annotated[str, Field(title="Code")]
    errors: Annotated[list[dict[str, Any]] | None, Field(title="Errors")] = None
    message: Annotated[str, Field(title="Message")]


class EventRead(BaseModel):
    """
    Something that happened: `data` is the resource as its GET returned it then.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    data: Annotated[dict[str, Any] | None, Field(title="Data")] = None
    id: Annotated[UUID, Field(title="Id")]
    type: Annotated[str | None, Field(title="Type")] = None


class EventTypeRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    description: Annotated[str, Field(title="Description")]
    type: Annotated[str, Field(title="Type")]


class FaqEntryRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    answer: Annotated[str, Field(title="Answer")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    id: Annotated[UUID, Field(title="Id")]
    model_id: Annotated[UUID, Field(title="Model Id")]
    question: Annotated[str, Field(title="Question")]
    sort_order: Annotated[int, Field(title="Sort Order")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]


class Health(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    status: Annotated[str, Field(title="Status")]


class ItemEstimate(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    client_ref: Annotated[str | None, Field(title="Client Ref")]
    cost: Annotated[str, Field(title="Cost")]
    sequence_index: Annotated[int, Field(title="Sequence Index")]


class MediaRead(BaseModel):
    """
    A stored image or video. `url` downloads it without an API key until `url_expires_at`;
    read the object again for a fresh URL.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    content_type: Annotated[str | None, Field(title="Content Type")] = None
    """
    Sniffed from the bytes, not taken from the client.
    """
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    duration_ms: Annotated[int | None, Field(title="Duration Ms")] = None
    """
    Videos and animated images only.
    """
    folder: Annotated[str | None, Field(title="Folder")] = None
    height: Annotated[int | None, Field(title="Height")] = None
    id: Annotated[UUID, Field(title="Id")]
    run_id: Annotated[UUID | None, Field(title="Run Id")] = None
    """
    The run that produced it (outputs) or fetched it (URL and data: inputs).
    """
    sha256: Annotated[str | None, Field(title="Sha256")] = None
    size_bytes: Annotated[int | None, Field(title="Size Bytes")] = None
    source_code: Annotated[str | None, Field(title="Source Code")] = None
    """
    `upload`, `url`, `data_uri` or `output`.
    """
    source_url: Annotated[str | None, Field(title="Source Url")] = None
    """
    The URL it was fetched from (`url` only).
    """
    url: Annotated[str | None, Field(title="Url")] = None
    url_expires_at: Annotated[AwareDatetime | None, Field(title="Url Expires At")] = None
    width: Annotated[int | None, Field(title="Width")] = None


class MediaUpdate(BaseModel):
    """
    Move a media object to another folder (`null`: out of every folder).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    folder: Annotated[str | None, Field(title="Folder")]


class ModelExampleRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    category_code: Annotated[str | None, Field(title="Category Code")]
    cost: Annotated[str | None, Field(title="Cost")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    description: Annotated[str | None, Field(title="Description")]
    duration_ms: Annotated[int | None, Field(title="Duration Ms")]
    id: Annotated[UUID, Field(title="Id")]
    input: Annotated[dict[str, Any], Field(title="Input")]
    is_featured: Annotated[bool, Field(title="Is Featured")]
    is_public: Annotated[bool, Field(title="Is Public")]
    model_id: Annotated[UUID, Field(title="Model Id")]
    output: Annotated[dict[str, Any] | None, Field(title="Output")]
    ran_at: Annotated[AwareDatetime | None, Field(title="Ran At")]
    sort_order: Annotated[int, Field(title="Sort Order")]
    start_type: Annotated[str | None, Field(title="Start Type")]
    status_code: Annotated[int | None, Field(title="Status Code")]
    thumbnail_url: Annotated[str | None, Field(title="Thumbnail Url")]
    timing: Annotated[dict[str, Any] | None, Field(title="Timing")]
    title: Annotated[str, Field(title="Title")]
    total_ms: Annotated[int | None, Field(title="Total Ms")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]


class ModelInputRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    default_behavior_code: Annotated[str | None, Field(title="Default Behavior Code")]
    default_value: Annotated[Any, Field(title="Default Value")]
    """
    The default, or null when the input has none.
    """
    description: Annotated[str | None, Field(title="Description")]
    display_name: Annotated[str | None, Field(title="Display Name")]
    id: Annotated[UUID, Field(title="Id")]
    is_featured: Annotated[bool, Field(title="Is Featured")]
    is_required: Annotated[bool, Field(title="Is Required")]
    model_id: Annotated[UUID, Field(title="Model Id")]
    name: Annotated[str, Field(title="Name")]
    sort_order: Annotated[int, Field(title="Sort Order")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    validator_attrs: Annotated[dict[str, Any] | None, Field(title="Validator Attrs")]
    validator_code: Annotated[str | None, Field(title="Validator Code")]
    variable_type_code: Annotated[str, Field(title="Variable Type Code")]


class ModelOutputRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    description: Annotated[str | None, Field(title="Description")]
    display_name: Annotated[str | None, Field(title="Display Name")]
    id: Annotated[UUID, Field(title="Id")]
    model_id: Annotated[UUID, Field(title="Model Id")]
    name: Annotated[str, Field(title="Name")]
    sort_order: Annotated[int, Field(title="Sort Order")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    validator_attrs: Annotated[dict[str, Any] | None, Field(title="Validator Attrs")]
    validator_code: Annotated[str | None, Field(title="Validator Code")]
    variable_type_code: Annotated[str, Field(title="Variable Type Code")]


class NodeRunRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    cost: Annotated[str | None, Field(title="Cost")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    duration_ms: Annotated[int | None, Field(title="Duration Ms")] = None
    error_message: Annotated[str | None, Field(title="Error Message")] = None
    flow_id: Annotated[UUID | None, Field(title="Flow Id")] = None
    id: Annotated[UUID, Field(title="Id")]
    input: Annotated[dict[str, Any] | None, Field(title="Input")] = None
    input_signature: Annotated[str | None, Field(title="Input Signature")] = None
    node_id: Annotated[UUID | None, Field(title="Node Id")] = None
    output: Annotated[dict[str, Any] | None, Field(title="Output")] = None
    preview_type: Annotated[str | None, Field(title="Preview Type")] = None
    preview_value: Annotated[str | None, Field(title="Preview Value")] = None
    retry_count: Annotated[int | None, Field(title="Retry Count")] = None
    run_id: Annotated[UUID | None, Field(title="Run Id")] = None
    started_at: Annotated[AwareDatetime | None, Field(title="Started At")] = None
    state_code: Annotated[str | None, Field(title="State Code")] = None


class PricingRuleRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    currency_code: Annotated[str, Field(title="Currency Code")]
    description: Annotated[str | None, Field(title="Description")]
    dimension_code: Annotated[str | None, Field(title="Dimension Code")]
    disabled_at: Annotated[AwareDatetime | None, Field(title="Disabled At")]
    id: Annotated[UUID, Field(title="Id")]
    match_value: Annotated[Any | None, Field(title="Match Value")] = None
    max_value: Annotated[str | None, Field(title="Max Value")]
    measurement_source: Annotated[str | None, Field(title="Measurement Source")]
    min_value: Annotated[str | None, Field(title="Min Value")]
    model_id: Annotated[UUID, Field(title="Model Id")]
    model_input_id: Annotated[UUID | None, Field(title="Model Input Id")]
    multiplier_label: Annotated[str | None, Field(title="Multiplier Label")]
    price: Annotated[str, Field(title="Price")]
    pricing_model_code: Annotated[str, Field(title="Pricing Model Code")]
    rule_effect_code: Annotated[str, Field(title="Rule Effect Code")]
    sort_order: Annotated[int, Field(title="Sort Order")]
    unit_code: Annotated[str, Field(title="Unit Code")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]


class Readiness(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    database: Annotated[str, Field(title="Database")]
    schema_revision: Annotated[str, Field(title="Schema Revision")]
    status: Annotated[str, Field(title="Status")]


class RecoverRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    since: Annotated[AwareDatetime, Field(title="Since")]
    """
    Redeliver the endpoint's deliveries that failed since this time.
    """


class RecoverResult(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    count: Annotated[int, Field(title="Count")]
    """
    How many deliveries were queued again.
    """


class RelatedLinkRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    id: Annotated[UUID, Field(title="Id")]
    model_id: Annotated[UUID, Field(title="Model Id")]
    related_model_id: Annotated[UUID, Field(title="Related Model Id")]
    sort_order: Annotated[int, Field(title="Sort Order")]


class RetiringSecret(BaseModel):
    """
    A rotated-out secret that still signs, alongside the current one, until `expires_at`.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    expires_at: Annotated[AwareDatetime, Field(title="Expires At")]
    id: Annotated[UUID, Field(title="Id")]
    secret: Annotated[str, Field(title="Secret")]


class RunCallbackPayload(BaseModel):
    """
    JSON payload delivered to the `callback_url` of a run created on its own when it ends;
    frozen like the batch payload.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    cost: Annotated[str, Field(title="Cost")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    duration_ms: Annotated[int | None, Field(title="Duration Ms")] = None
    error: Annotated[dict[str, Any] | None, Field(title="Error")] = None
    event: Annotated[str, Field(title="Event")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    output: Annotated[dict[str, Any] | None, Field(title="Output")] = None
    run_id: Annotated[UUID, Field(title="Run Id")]
    status: Annotated[str, Field(title="Status")]


class RunCreate(BaseModel):
    """
    POST body for one run: the model's input, plus optional metadata and callback.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    client_ref: Annotated[str | None, Field(title="Client Ref")] = None
    input: Annotated[dict[str, Any], Field(title="Input")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None


class RunLogRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    level_code: Annotated[str | None, Field(title="Level Code")] = None
    message: Annotated[str | None, Field(title="Message")] = None
    meta: Annotated[dict[str, Any] | None, Field(title="Meta")] = None
    run: Annotated[None, Field(title="Run")] = None
    run_id: Annotated[UUID | None, Field(title="Run Id")] = None
    timestamp: Annotated[AwareDatetime | None, Field(title="Timestamp")] = None


class RunRead(BaseModel):
    """
    A run with its live state.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    batch_id: Annotated[UUID | None, Field(title="Batch Id")] = None
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    client_ref: Annotated[str | None, Field(title="Client Ref")] = None
    comfyui_workflow_id: Annotated[UUID | None, Field(title="Comfyui Workflow Id")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    context: Annotated[dict[str, Any] | None, Field(title="Context")] = None
    cost: Annotated[str | None, Field(title="Cost")] = None
    cost_breakdown: Annotated[dict[str, Any] | None, Field(title="Cost Breakdown")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    created_by: Annotated[UUID | None, Field(title="Created By")] = None
    duration_ms: Annotated[int | None, Field(title="Duration Ms")] = None
    failure_code: Annotated[str | None, Field(title="Failure Code")] = None
    failure_message: Annotated[str | None, Field(title="Failure Message")] = None
    failure_stage_code: Annotated[str | None, Field(title="Failure Stage Code")] = None
    flow_id: Annotated[UUID | None, Field(title="Flow Id")] = None
    flow_version_id: Annotated[UUID | None, Field(title="Flow Version Id")] = None
    has_logs: Annotated[bool | None, Field(title="Has Logs")] = False
    has_node_runs: Annotated[bool | None, Field(title="Has Node Runs")] = False
    id: Annotated[UUID, Field(title="Id")]
    input: Annotated[dict[str, Any] | None, Field(title="Input")] = None
    jurisdiction_code: Annotated[str | None, Field(title="Jurisdiction Code")] = None
    links: Annotated[dict[str, Any] | None, Field(title="Links")] = None
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    model_id: Annotated[UUID | None, Field(title="Model Id")] = None
    nodes_completed: Annotated[int | None, Field(title="Nodes Completed")] = None
    nodes_total: Annotated[int | None, Field(title="Nodes Total")] = None
    org_id: Annotated[UUID | None, Field(title="Org Id")] = None
    output: Annotated[dict[str, Any] | None, Field(title="Output")] = None
    request_id: Annotated[str | None, Field(title="Request Id")] = None
    resolved_template_id: Annotated[UUID | None, Field(title="Resolved Template Id")] = None
    source_code: Annotated[str | None, Field(title="Source Code")] = None
    started_at: Annotated[AwareDatetime | None, Field(title="Started At")] = None
    status_code: Annotated[str | None, Field(title="Status Code")] = None
    target_type: Annotated[str | None, Field(title="Target Type")] = None
    target_version: Annotated[str | None, Field(title="Target Version")] = None


class RunRerun(BaseModel):
    """
    POST body for a re-run: overrides merged into the run's stored input.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    input: Annotated[dict[str, Any] | None, Field(title="Input")] = None
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None


class SigningSecretRead(BaseModel):
    """
    Verify callbacks with `secret` (Standard Webhooks, `whsec_…`); during a rotation each
    callback carries one `v1,` signature per secret in `webhook-signature`.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    id: Annotated[UUID, Field(title="Id")]
    retiring: Annotated[list[RetiringSecret], Field(title="Retiring")]
    secret: Annotated[str, Field(title="Secret")]


class UploadCreate(BaseModel):
    """
    Start a three-step upload for a file too large for `POST /v1/media`.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    folder: Annotated[str | None, Field(title="Folder")] = None
    size_bytes: Annotated[int | None, Field(title="Size Bytes")] = None
    """
    The file's size, if known: refused at once when over.
    """


class UploadRead(BaseModel):
    """
    A pending upload: `PUT` the raw bytes to `upload_url`, then `POST …/complete`.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    content_type: Annotated[str | None, Field(title="Content Type")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    expires_at: Annotated[AwareDatetime, Field(title="Expires At")]
    folder: Annotated[str | None, Field(title="Folder")]
    id: Annotated[UUID, Field(title="Id")]
    max_bytes: Annotated[int, Field(title="Max Bytes")]
    sha256: Annotated[str | None, Field(title="Sha256")]
    size_bytes: Annotated[int | None, Field(title="Size Bytes")]
    status_code: Annotated[str, Field(title="Status Code")]
    """
    `pending` until the bytes arrive, then `received`.
    """
    upload_method: Annotated[str | None, Field(title="Upload Method")] = "PUT"
    upload_url: Annotated[str, Field(title="Upload Url")]


class WebhookDeliveryDetail(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    attempt_count: Annotated[int, Field(title="Attempt Count")]
    attempts: Annotated[list[DeliveryAttemptRead], Field(title="Attempts")]
    batch_id: Annotated[UUID | None, Field(title="Batch Id")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    endpoint_id: Annotated[UUID | None, Field(title="Endpoint Id")] = None
    event_id: Annotated[UUID | None, Field(title="Event Id")] = None
    event_type: Annotated[str | None, Field(title="Event Type")] = None
    failure_detail: Annotated[str | None, Field(title="Failure Detail")] = None
    failure_reason_code: Annotated[str | None, Field(title="Failure Reason Code")] = None
    id: Annotated[UUID, Field(title="Id")]
    is_automatic: Annotated[bool, Field(title="Is Automatic")]
    links: Annotated[dict[str, str], Field(title="Links")]
    max_attempts: Annotated[int, Field(title="Max Attempts")]
    next_attempt_at: Annotated[AwareDatetime | None, Field(title="Next Attempt At")] = None
    payload_bytes: Annotated[str, Field(title="Payload Bytes")]
    """
    The exact body sent on every attempt.
    """
    run_id: Annotated[UUID | None, Field(title="Run Id")] = None
    status_code: Annotated[str, Field(title="Status Code")]
    """
    `pending`, `succeeded` or `failed`.
    """
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    url: Annotated[str, Field(title="Url")]


class WebhookDeliveryRead(BaseModel):
    """
    One delivery: a batch's or a run's callback (`endpoint_id` null), or an event sent to
    one endpoint (`webhook-id` = `event_id`).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    attempt_count: Annotated[int | None, Field(title="Attempt Count")] = None
    batch_id: Annotated[UUID | None, Field(title="Batch Id")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    endpoint_id: Annotated[UUID | None, Field(title="Endpoint Id")] = None
    event_id: Annotated[UUID | None, Field(title="Event Id")] = None
    event_type: Annotated[str | None, Field(title="Event Type")] = None
    failure_detail: Annotated[str | None, Field(title="Failure Detail")] = None
    failure_reason_code: Annotated[str | None, Field(title="Failure Reason Code")] = None
    id: Annotated[UUID, Field(title="Id")]
    is_automatic: Annotated[bool | None, Field(title="Is Automatic")] = None
    links: Annotated[dict[str, str] | None, Field(title="Links")] = None
    max_attempts: Annotated[int | None, Field(title="Max Attempts")] = None
    next_attempt_at: Annotated[AwareDatetime | None, Field(title="Next Attempt At")] = None
    run_id: Annotated[UUID | None, Field(title="Run Id")] = None
    status_code: Annotated[str | None, Field(title="Status Code")] = None
    """
    `pending`, `succeeded` or `failed`.
    """
    updated_at: Annotated[AwareDatetime | None, Field(title="Updated At")] = None
    url: Annotated[str | None, Field(title="Url")] = None


class WebhookEndpointCreate(BaseModel):
    """
    An endpoint to send events to: its URL must resolve to a public address.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    description: Annotated[str | None, Field(title="Description")] = None
    enabled: Annotated[bool | None, Field(title="Enabled")] = True
    event_types: Annotated[list[Any], Field(title="Event Types")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    url: Annotated[str, Field(title="Url")]
    """
    Where the signed callback is POSTed when the work ends; it must resolve to a public address.
    """


class WebhookEndpointCreated(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    description: Annotated[str | None, Field(title="Description")] = None
    disabled_reason: Annotated[str | None, Field(title="Disabled Reason")] = None
    """
    `MANUAL` (turned off by a PATCH) or `FAILING`.
    """
    enabled: Annotated[bool, Field(title="Enabled")]
    event_types: Annotated[list[str], Field(title="Event Types")]
    failing_since: Annotated[AwareDatetime | None, Field(title="Failing Since")] = None
    """
    Since when every attempt has failed; null after a success.
    """
    id: Annotated[UUID, Field(title="Id")]
    links: Annotated[dict[str, str], Field(title="Links")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    org_id: Annotated[UUID, Field(title="Org Id")]
    secret: Annotated[str, Field(title="Secret")]
    """
    Shown here and by the secret endpoint only.
    """
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    url: Annotated[str, Field(title="Url")]


class WebhookEndpointRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    description: Annotated[str | None, Field(title="Description")] = None
    disabled_reason: Annotated[str | None, Field(title="Disabled Reason")] = None
    """
    `MANUAL` (turned off by a PATCH) or `FAILING`.
    """
    enabled: Annotated[bool | None, Field(title="Enabled")] = None
    event_types: Annotated[list[str] | None, Field(title="Event Types")] = None
    failing_since: Annotated[AwareDatetime | None, Field(title="Failing Since")] = None
    """
    Since when every attempt has failed; null after a success.
    """
    id: Annotated[UUID, Field(title="Id")]
    links: Annotated[dict[str, str] | None, Field(title="Links")] = None
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    org_id: Annotated[UUID | None, Field(title="Org Id")] = None
    updated_at: Annotated[AwareDatetime | None, Field(title="Updated At")] = None
    url: Annotated[str | None, Field(title="Url")] = None


class WebhookEndpointUpdate(BaseModel):
    """
    The fields to change; those left out stay as they are.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    description: Annotated[str | None, Field(title="Description")] = None
    enabled: Annotated[bool | None, Field(title="Enabled")] = None
    event_types: Annotated[list[Any] | None, Field(title="Event Types")] = None
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    url: Annotated[str | None, Field(title="Url")] = None


class Batch(BaseModel):
    """
    Response shape.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    cost: Annotated[str | None, Field(title="Cost")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    created_by: Annotated[UUID | None, Field(title="Created By")] = None
    dispatch_provider_link_id: Annotated[UUID | None, Field(title="Dispatch Provider Link Id")] = (
        None
    )
    duration_ms: Annotated[int | None, Field(title="Duration Ms")] = None
    failure_code: Annotated[str | None, Field(title="Failure Code")] = None
    failure_message: Annotated[str | None, Field(title="Failure Message")] = None
    failure_stage_code: Annotated[str | None, Field(title="Failure Stage Code")] = None
    id: Annotated[UUID | None, Field(title="Id")] = None
    input: Annotated[list[dict[str, Any]] | None, Field(title="Input")] = None
    items: Annotated[list[BatchItemHandle] | None, Field(title="Items")] = None
    items_cancelled: Annotated[int | None, Field(title="Items Cancelled")] = None
    items_failed: Annotated[int | None, Field(title="Items Failed")] = None
    items_succeeded: Annotated[int | None, Field(title="Items Succeeded")] = None
    items_total: Annotated[int | None, Field(title="Items Total")] = None
    links: Annotated[dict[str, Any] | None, Field(title="Links")] = None
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    org_id: Annotated[UUID | None, Field(title="Org Id")] = None
    output: Annotated[dict[str, Any] | None, Field(title="Output")] = None
    resolved_template_id: Annotated[UUID | None, Field(title="Resolved Template Id")] = None
    source_code: Annotated[str | None, Field(title="Source Code")] = None
    started_at: Annotated[AwareDatetime | None, Field(title="Started At")] = None
    status_code: Annotated[str | None, Field(title="Status Code")] = None
    target_id: Annotated[UUID | None, Field(title="Target Id")] = None
    target_type: Annotated[str | None, Field(title="Target Type")] = None
    target_type_code: Annotated[str | None, Field(title="Target Type Code")] = None


class Account(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    credit_balance: Annotated[str, Field(title="Credit Balance")]
    credit_reserved: Annotated[str, Field(title="Credit Reserved")]
    """
    Held back for accepted runs that have not ended (when credits are enforced).
    """
    credits_enforced: Annotated[bool, Field(title="Credits Enforced")]
    """
    Whether a create whose estimate exceeds `credit_balance − credit_reserved` is refused with `402 INSUFFICIENT_CREDITS`.
    """
    low_balance_threshold: Annotated[str | None, Field(title="Low Balance Threshold")]
    """
    `credits.low` fires when the balance falls below this; null: never.
    """
    org: AccountOrg
    role: Annotated[str, Field(title="Role")]
    user: AccountUser


class BatchCreated(BaseModel):
    """
    POST /batches response — batch fields + items handle list.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    cost: Annotated[str | None, Field(title="Cost")] = None
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    id: Annotated[UUID, Field(title="Id")]
    items: Annotated[list[BatchItemHandle], Field(title="Items")]
    items_cancelled: Annotated[int, Field(title="Items Cancelled")]
    items_failed: Annotated[int, Field(title="Items Failed")]
    items_succeeded: Annotated[int, Field(title="Items Succeeded")]
    items_total: Annotated[int, Field(title="Items Total")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    output: Annotated[dict[str, Any] | None, Field(title="Output")] = None
    started_at: Annotated[AwareDatetime | None, Field(title="Started At")] = None
    status_code: Annotated[str, Field(title="Status Code")]
    target_id: Annotated[UUID, Field(title="Target Id")]
    target_type: Annotated[str, Field(title="Target Type")]


class BatchList(BaseModel):
    """
    The org's batches, newest first unless sorted. Read one batch for its input, output and
    items.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[BatchSummary], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class CostEstimate(BaseModel):
    """
    What the create would cost, from the model's pricing rules.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    cost: Annotated[str, Field(title="Cost")]
    currency_code: Annotated[str | None, Field(title="Currency Code")] = "USD"
    items: Annotated[list[ItemEstimate], Field(title="Items")]
    note: Annotated[str | None, Field(title="Note")] = None
    """
    Set when the estimate is not the exact cost: the model has no pricing, or a figure could not be read from the input (counted as 0).
    """


class CreditTransactionList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[CreditTransactionRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class Criteria(BaseModel):
    """
    What the image must meet to pass, beyond having no major or critical issue.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    ignore: Annotated[list[str] | None, Field(title="Ignore")] = None
    """
    Issue codes not to judge.
    """
    min_height: Annotated[int | None, Field(title="Min Height")] = None
    """
    Pixels.
    """
    min_score: Annotated[float | None, Field(title="Min Score")] = 0.5
    """
    Least score that passes.
    """
    min_width: Annotated[int | None, Field(title="Min Width")] = None
    """
    Pixels.
    """


class EvaluationCreate(BaseModel):
    """
    POST body: the image (a media id, an https URL or a data URI) and what to judge it by.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    criteria: Criteria | None = None
    image: Annotated[str, Field(title="Image")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    prompt: Annotated[str | None, Field(title="Prompt")] = None


class EventList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[EventRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class EventTypeList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    items: Annotated[list[EventTypeRead], Field(title="Items")]


class IssueRead(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    code: Annotated[str, Field(title="IssueCode")]
    message: Annotated[str, Field(title="Message")]
    score: Annotated[float, Field(title="Score")]
    """
    Quality on this issue's aspect, 0–1 (0.5 at its limit).
    """
    severity: Annotated[str, Field(title="Severity")]


class MediaPage(BaseModel):
    """
    A page of media, newest first unless sorted, with keyset cursors for `pq`.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[MediaRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class ModelRead(BaseModel):
    """
    A catalog model with everything a client needs to call it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    architecture: Annotated[str | None, Field(title="Architecture")]
    availability_status: Annotated[str | None, Field(title="Availability Status")]
    category_code: Annotated[str | None, Field(title="Category Code")]
    content: Annotated[str | None, Field(title="Content")]
    cover_url: Annotated[str | None, Field(title="Cover Url")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    created_by: Annotated[UUID | None, Field(title="Created By")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")]
    deleted_by: Annotated[UUID | None, Field(title="Deleted By")]
    description: Annotated[str | None, Field(title="Description")]
    family_id: Annotated[UUID | None, Field(title="Family Id")]
    family_variant_code: Annotated[str | None, Field(title="Family Variant Code")]
    faq_entries: Annotated[list[FaqEntryRead], Field(title="Faq Entries")]
    fine_tuning: Annotated[bool, Field(title="Fine Tuning")]
    github_url: Annotated[str | None, Field(title="Github Url")]
    icon_url: Annotated[str | None, Field(title="Icon Url")]
    id: Annotated[UUID, Field(title="Id")]
    inputs: Annotated[list[ModelInputRead], Field(title="Inputs")]
    is_official: Annotated[bool, Field(title="Is Official")]
    is_open_source: Annotated[bool, Field(title="Is Open Source")]
    is_public: Annotated[bool, Field(title="Is Public")]
    license_code: Annotated[str | None, Field(title="License Code")]
    lora_support: Annotated[bool, Field(title="Lora Support")]
    max_resolution: Annotated[str | None, Field(title="Max Resolution")]
    model_creator_id: Annotated[UUID | None, Field(title="Model Creator Id")]
    name: Annotated[str, Field(title="Name")]
    notable_features: Annotated[list[Any] | None, Field(title="Notable Features")]
    org_id: Annotated[UUID, Field(title="Org Id")]
    outputs: Annotated[list[ModelOutputRead], Field(title="Outputs")]
    owner: Annotated[str, Field(title="Owner")]
    paper_url: Annotated[str | None, Field(title="Paper Url")]
    param_count: Annotated[str | None, Field(title="Param Count")]
    pricing: Annotated[list[PricingRuleRead], Field(title="Pricing")]
    pricing_note: Annotated[str | None, Field(title="Pricing Note")]
    related_links: Annotated[list[RelatedLinkRead], Field(title="Related Links")]
    seo: Annotated[dict[str, Any] | None, Field(title="Seo")]
    slug: Annotated[str, Field(title="Slug")]
    status_code: Annotated[str, Field(title="Status Code")]
    supports_streaming: Annotated[bool, Field(title="Supports Streaming")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    version: Annotated[str, Field(title="Version")]


class NodeRunList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[NodeRunRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class RunCallbackDeliveryRead(BaseModel):
    """
    One delivery of a lone run's callback and its attempts.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    attempt_count: Annotated[int | None, Field(title="Attempt Count")] = None
    attempts: Annotated[list[CallbackAttemptRead] | None, Field(title="Attempts")] = None
    batch_id: Annotated[UUID | None, Field(title="Batch Id")] = None
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    failure_detail: Annotated[str | None, Field(title="Failure Detail")] = None
    failure_reason_code: Annotated[str | None, Field(title="Failure Reason Code")] = None
    id: Annotated[UUID | None, Field(title="Id")] = None
    is_automatic: Annotated[bool | None, Field(title="Is Automatic")] = None
    max_attempts: Annotated[int | None, Field(title="Max Attempts")] = None
    next_attempt_at: Annotated[AwareDatetime | None, Field(title="Next Attempt At")] = None
    payload: RunCallbackPayload | None = None
    payload_bytes: Annotated[str | None, Field(title="Payload Bytes")] = None
    run_id: Annotated[UUID | None, Field(title="Run Id")] = None
    signing_secret_id: Annotated[UUID | None, Field(title="Signing Secret Id")] = None
    status_code: Annotated[str | None, Field(title="Status Code")] = None
    updated_at: Annotated[AwareDatetime | None, Field(title="Updated At")] = None


class RunDetail(BaseModel):
    """
    A run with its node runs, its logs and its model, as `embed=run` inlines it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    batch_id: Annotated[UUID | None, Field(title="Batch Id")] = None
    callback_url: Annotated[str | None, Field(title="Callback Url")] = None
    client_ref: Annotated[str | None, Field(title="Client Ref")] = None
    comfyui_workflow_id: Annotated[UUID | None, Field(title="Comfyui Workflow Id")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    context: Annotated[dict[str, Any] | None, Field(title="Context")] = None
    cost: Annotated[str | None, Field(title="Cost")] = None
    cost_breakdown: Annotated[dict[str, Any] | None, Field(title="Cost Breakdown")] = None
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    created_by: Annotated[UUID | None, Field(title="Created By")] = None
    duration_ms: Annotated[int | None, Field(title="Duration Ms")] = None
    failure_code: Annotated[str | None, Field(title="Failure Code")] = None
    failure_message: Annotated[str | None, Field(title="Failure Message")] = None
    failure_stage_code: Annotated[str | None, Field(title="Failure Stage Code")] = None
    flow_id: Annotated[UUID | None, Field(title="Flow Id")] = None
    flow_version_id: Annotated[UUID | None, Field(title="Flow Version Id")] = None
    has_logs: Annotated[bool | None, Field(title="Has Logs")] = False
    has_node_runs: Annotated[bool | None, Field(title="Has Node Runs")] = False
    id: Annotated[UUID, Field(title="Id")]
    input: Annotated[dict[str, Any], Field(title="Input")]
    jurisdiction_code: Annotated[str | None, Field(title="Jurisdiction Code")] = None
    links: Annotated[dict[str, Any] | None, Field(title="Links")] = None
    logs: Annotated[list[RunLogRead] | None, Field(title="Logs")] = None
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    model: ModelRead | None = None
    model_id: Annotated[UUID, Field(title="Model Id")]
    node_runs: Annotated[list[NodeRunRead] | None, Field(title="Node Runs")] = None
    nodes_completed: Annotated[int | None, Field(title="Nodes Completed")] = None
    nodes_total: Annotated[int | None, Field(title="Nodes Total")] = None
    org_id: Annotated[UUID, Field(title="Org Id")]
    output: Annotated[dict[str, Any] | None, Field(title="Output")] = None
    request_id: Annotated[str | None, Field(title="Request Id")] = None
    resolved_template_id: Annotated[UUID | None, Field(title="Resolved Template Id")] = None
    source_code: Annotated[str, Field(title="Source Code")]
    started_at: Annotated[AwareDatetime | None, Field(title="Started At")] = None
    status_code: Annotated[str, Field(title="Status Code")]
    target_type: Annotated[str, Field(title="Target Type")]
    target_version: Annotated[str | None, Field(title="Target Version")] = None


class RunList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[RunRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class RunLogList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[RunLogRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class WebhookDeliveryList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[WebhookDeliveryRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class WebhookEndpointList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[WebhookEndpointRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class BatchItemRow(BaseModel):
    """
    One item with the live state of its run.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    batch_id: Annotated[UUID | None, Field(title="Batch Id")] = None
    client_ref: Annotated[str | None, Field(title="Client Ref")] = None
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    cost: Annotated[str | None, Field(title="Cost")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    error: Annotated[dict[str, Any] | None, Field(title="Error")] = None
    id: Annotated[UUID, Field(title="Id")]
    input: Annotated[dict[str, Any] | None, Field(title="Input")] = None
    output: Annotated[dict[str, Any] | None, Field(title="Output")] = None
    run: RunDetail | None = None
    run_id: Annotated[UUID | None, Field(title="Run Id")] = None
    sequence_index: Annotated[int | None, Field(title="Sequence Index")] = None
    started_at: Annotated[AwareDatetime | None, Field(title="Started At")] = None
    status_code: Annotated[str | None, Field(title="Status Code")] = None


class EvaluationRead(BaseModel):
    """
    An evaluation: the verdict on one image. Its id is also the id of the run that made it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    completed_at: Annotated[AwareDatetime | None, Field(title="Completed At")] = None
    cost: Annotated[str | None, Field(title="Cost")] = None
    created_at: Annotated[AwareDatetime | None, Field(title="Created At")] = None
    criteria: Criteria | None = None
    failure_code: Annotated[str | None, Field(title="Failure Code")] = None
    failure_message: Annotated[str | None, Field(title="Failure Message")] = None
    id: Annotated[UUID, Field(title="Id")]
    image_url: Annotated[str | None, Field(title="Image Url")] = None
    issues: Annotated[list[IssueRead] | None, Field(title="Issues")] = None
    links: Annotated[dict[str, str] | None, Field(title="Links")] = None
    media_id: Annotated[UUID | None, Field(title="Media Id")] = None
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    metrics: Annotated[dict[str, Any] | None, Field(title="Metrics")] = None
    org_id: Annotated[UUID | None, Field(title="Org Id")] = None
    passed: Annotated[bool | None, Field(title="Passed")] = None
    prompt: Annotated[str | None, Field(title="Prompt")] = None
    score: Annotated[float | None, Field(title="Score")] = None
    started_at: Annotated[AwareDatetime | None, Field(title="Started At")] = None
    status_code: Annotated[str | None, Field(title="Status Code")] = None
    """
    queued, running, succeeded, failed (or cancelled).
    """


class ModelList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    items: Annotated[list[ModelRead], Field(title="Items")]


class BatchItemPage(BaseModel):
    """
    Paginated response envelope for batch items.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[BatchItemRow], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None


class EvaluationList(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    first: Annotated[str | None, Field(title="First")] = None
    items: Annotated[list[EvaluationRead], Field(title="Items")]
    next: Annotated[str | None, Field(title="Next")] = None
    previous: Annotated[str | None, Field(title="Previous")] = None
