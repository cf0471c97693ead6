"""Routes of this area (filled in by the identity issue's work)."""

from fastapi import APIRouter

routers: list[APIRouter] = []
