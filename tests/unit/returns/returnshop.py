"""Shared by the returns tests (imported, not a conftest: one conftest name is enough):
the test shop's Returns and member services as fixtures."""

from __future__ import annotations

import pytest

from appliance.returns import Returns


def returns_for(shop) -> Returns:
    return Returns(shop.ledger, shop.master, "Asia/Shanghai", orders=shop.engine)


@pytest.fixture
def returns(shop):
    return returns_for(shop)


@pytest.fixture
def members(shop):
    from appliance.members import MemberService
    return MemberService(shop.ledger, shop.master, "Asia/Shanghai")

