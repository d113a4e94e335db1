"""Asynchronous resource: the account (organization, role, credits) and its ledger."""

from __future__ import annotations

from collections.abc import Sequence

from runflow_sdk._async.pagination import AsyncPager
from runflow_sdk._async.resources._resource import AsyncResource
from runflow_sdk._operations import operation
from runflow_sdk.types import Account as AccountRead
from runflow_sdk.types import CreditTransactionRead


class AsyncAccount(AsyncResource):
    @operation("getAccount")
    async def get(self) -> AccountRead:
        """Who this key is: user, organization, role, and the credit balance."""
        return await self._client.request(AccountRead, "GET", "/v1/account")

    @operation("listCreditTransactions")
    def credit_transactions(
        self,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> AsyncPager[CreditTransactionRead]:
        """The credit ledger: grants and usage, with the balance after each."""
        return self._pager(
            "/v1/account/credit-transactions",
            CreditTransactionRead,
            q=q,
            sort_by=sort_by,
            fields=fields,
            embed=None,
            limit=limit,
        )
