"""ASGI entry point for multi-process servers (`uvicorn brain.asgi:app`, gunicorn)."""

from brain.app import create_app
from brain.settings import get_settings

app = create_app(get_settings(), serving=True)
