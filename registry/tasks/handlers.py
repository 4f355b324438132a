"""Which modules register task handlers, so every process knows every kind."""
from __future__ import annotations

import importlib
import os

# Modules whose import registers handlers with @task_handler.
HANDLER_MODULES: tuple[str, ...] = ("registry.imports.tasks", "registry.keys.tasks", "registry.cards.tasks",
                                     "registry.bulletins.tasks",
                                     "registry.trace.import_tasks", "registry.credit.tasks")


def load_handler_modules() -> None:
    """Import HANDLER_MODULES and those named in REGISTRY_TASK_MODULES (comma-separated)."""
    extra = [m.strip() for m in os.environ.get("REGISTRY_TASK_MODULES", "").split(",") if m.strip()]
    for name in (*HANDLER_MODULES, *extra):
        importlib.import_module(name)
