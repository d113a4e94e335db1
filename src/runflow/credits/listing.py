"""The credit ledger as a query-kit list: `GET /v1/account/credit-transactions`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.credits.models import CreditTransaction, TransactionKind
from runflow.credits.schemas import CreditTransactionList, CreditTransactionRead
from runflow.query.cursor import CursorCodec
from runflow.query.fields import Field, Kind
from runflow.query.listing import Listing, ListParams, read_list

TRANSACTIONS = Listing(
    name="credit_transactions",
    filters={
        "id": Field(CreditTransaction.id, Kind.UUID, sortable=True, unique=True),
        "kind_code": Field(CreditTransaction.kind_code, Kind.ENUM, choices=tuple(TransactionKind)),
        "amount": Field(CreditTransaction.amount, Kind.DECIMAL, sortable=True),
        "batch_id": Field(CreditTransaction.batch_id, Kind.UUID, nullable=True),
        "run_id": Field(CreditTransaction.run_id, Kind.UUID, nullable=True),
        "created_at": Field(CreditTransaction.created_at, Kind.TIMESTAMP, sortable=True),
    },
    default_sort="created_at:desc",
    columns={name: getattr(CreditTransaction, name) for name in CreditTransactionRead.model_fields},
)


async def list_transactions(
    session: AsyncSession, principal: Principal, params: ListParams, codec: CursorCodec
) -> tuple[CreditTransactionList, frozenset[str]]:
    org_id = principal.org_id
    where = CreditTransaction.org_id == org_id
    listed = await read_list(session, TRANSACTIONS, params, codec, parent=org_id, where=where)
    items = [CreditTransactionRead.model_construct(**values) for values in listed.values]
    return CreditTransactionList(items=items, **listed.cursors), listed.request.fields
