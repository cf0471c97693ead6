"""Warehouse HTTP routers."""

from fastapi import APIRouter

routers: list[APIRouter] = []
