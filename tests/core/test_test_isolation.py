"""Each test runs in a transaction that is rolled back: nothing leaks into the next test."""

from sqlalchemy import func, select

from brain.organizations.models import Organization


async def test_one(db, tenant):
    assert await db.scalar(select(func.count(Organization.id))) == 1

async def test_two(db, tenant):
    assert await db.scalar(select(func.count(Organization.id))) == 1
