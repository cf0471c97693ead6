"""Customers and orders."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from brain.billing.catalog import Quota
from brain.billing.gates import charge_quota
from brain.core.deps import DbSession, ReadData, WriteData
from brain.core.etag import check_if_match
from brain.core.pagination import (
    PageParams,
    SortOptions,
    list_page,
    page_params,
)
from brain.core.schemas import Page
from brain.warehouse import service
from brain.warehouse.models import Customer, Order
from brain.warehouse.repository import CustomerRepository, OrderRepository
from brain.warehouse.router_common import (
    IfMatch,
    check_date_range,
    created,
    no_content,
    object_path,
    with_etag,
)
from brain.warehouse.schemas import (
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    OrderCreate,
    OrderRead,
    OrderUpdate,
)

ORG_PREFIX = "/api/v1/organizations/{org_id}"
Paging = Annotated[PageParams, Depends(page_params)]

# Customers ---------------------------------------------------------------------------------

customers = APIRouter(prefix=f"{ORG_PREFIX}/customers", tags=["customers"])
CUSTOMER_SORT = SortOptions(
    Customer.id,
    "created_at",
    created_at=Customer.created_at,
    external_id=Customer.external_id,
    first_order_on=Customer.first_order_on,
)


@customers.get("", response_model=Page[CustomerRead], operation_id="list_customers")
async def list_customers(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
    acquisition_channel_id: Annotated[
        uuid.UUID | None, Query(description="Only customers acquired through this channel.")
    ] = None,
) -> Response:
    """The organization's customers."""
    stmt = CustomerRepository(session, auth).list_statement(
        acquisition_channel_id=acquisition_channel_id
    )
    return await list_page(
        session, stmt, request=request, params=params, sort=CUSTOMER_SORT, read_model=CustomerRead
    )


@customers.post(
    "", response_model=CustomerRead, status_code=201, operation_id="create_customer",
    dependencies=[Depends(charge_quota(Quota.events_per_month, meter="rows_ingested"))],
)
async def create_customer(
    org_id: uuid.UUID, body: CustomerCreate, auth: WriteData, session: DbSession
) -> Response:
    """Add a customer; `external_id` is unique."""
    customer = await service.create_customer(session, auth, body)
    return created(
        CustomerRead.model_validate(customer), object_path(org_id, "customers", customer.id)
    )


@customers.get("/{customer_id}", response_model=CustomerRead, operation_id="get_customer")
async def get_customer(
    org_id: uuid.UUID, customer_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One customer."""
    body = await CustomerRepository(session, auth).get_rendered(customer_id, CustomerRead)
    return Response(body, media_type="application/json")


@customers.patch("/{customer_id}", response_model=CustomerRead, operation_id="update_customer")
async def update_customer(
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Change a customer's attributes."""
    customer = await CustomerRepository(session, auth).get_or_404(customer_id)
    check_if_match(if_match, CustomerRead.model_validate(customer))
    customer = await service.update_customer(session, auth, customer, body)
    return with_etag(CustomerRead.model_validate(customer))


@customers.delete("/{customer_id}", status_code=204, operation_id="delete_customer")
async def delete_customer(
    org_id: uuid.UUID,
    customer_id: uuid.UUID,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete a customer and their orders."""
    customer = await CustomerRepository(session, auth).get_or_404(customer_id)
    check_if_match(if_match, CustomerRead.model_validate(customer))
    await service.delete_customer(session, auth, customer)
    return no_content()


# Orders ------------------------------------------------------------------------------------

orders = APIRouter(prefix=f"{ORG_PREFIX}/orders", tags=["orders"])
ORDER_SORT = SortOptions(
    Order.id, "order_date", order_date=Order.order_date, created_at=Order.created_at
)


@orders.get("", response_model=Page[OrderRead], operation_id="list_orders")
async def list_orders(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
    date_from: Annotated[date | None, Query(description="First order day (inclusive).")] = None,
    date_to: Annotated[date | None, Query(description="Last order day (inclusive).")] = None,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
    channel_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """The organization's orders, by default oldest first (`sort=-order_date` for newest)."""
    check_date_range(date_from, date_to)
    stmt = OrderRepository(session, auth).list_statement(
        date_from=date_from, date_to=date_to, customer_id=customer_id, channel_id=channel_id
    )
    return await list_page(
        session, stmt, request=request, params=params, sort=ORDER_SORT, read_model=OrderRead
    )


@orders.post(
    "", response_model=OrderRead, status_code=201, operation_id="create_order",
    dependencies=[Depends(charge_quota(Quota.events_per_month, meter="rows_ingested"))],
)
async def create_order(
    org_id: uuid.UUID, body: OrderCreate, auth: WriteData, session: DbSession
) -> Response:
    """Add an order of an existing customer; `external_id` is unique."""
    order = await service.create_order(session, auth, body)
    return created(OrderRead.model_validate(order), object_path(org_id, "orders", order.id))


@orders.get("/{order_id}", response_model=OrderRead, operation_id="get_order")
async def get_order(
    org_id: uuid.UUID, order_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One order."""
    body = await OrderRepository(session, auth).get_rendered(order_id, OrderRead)
    return Response(body, media_type="application/json")


@orders.patch("/{order_id}", response_model=OrderRead, operation_id="update_order")
async def update_order(
    org_id: uuid.UUID,
    order_id: uuid.UUID,
    body: OrderUpdate,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Change an order."""
    order = await OrderRepository(session, auth).get_or_404(order_id)
    check_if_match(if_match, OrderRead.model_validate(order))
    order = await service.update_order(session, auth, order, body)
    return with_etag(OrderRead.model_validate(order))


@orders.delete("/{order_id}", status_code=204, operation_id="delete_order")
async def delete_order(
    org_id: uuid.UUID,
    order_id: uuid.UUID,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete an order."""
    order = await OrderRepository(session, auth).get_or_404(order_id)
    check_if_match(if_match, OrderRead.model_validate(order))
    await service.delete_order(session, auth, order)
    return no_content()


routers = [customers, orders]
