"""Warehouse HTTP routers (one module per group of collections)."""

from fastapi import APIRouter

from brain.warehouse import router_commerce, router_entities, router_imports, router_metrics

routers: list[APIRouter] = [
    *router_entities.routers,
    *router_metrics.routers,
    *router_commerce.routers,
    *router_imports.routers,
]
