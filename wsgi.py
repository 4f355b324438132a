"""The WSGI entry point: gunicorn wsgi:app, flask --app wsgi."""
from registry import create_app

app = create_app()
