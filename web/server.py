"""`popdq web`: the workbench served by uvicorn, on localhost unless told otherwise.

Uvicorn's own access log is off (it would print query strings, and filters may hold a
name): `web.app` logs one line per request with the route's pattern only. Nothing else
of a request (form bodies, cookies) is ever logged.
"""

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from popdq.commands import require_warehouse
from popdq.errors import PopdqError
from web.app import create_app

LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "loggers": {
        "popdq.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


class _Server(uvicorn.Server):
    """Uvicorn, saying where it listens once it does (so nothing claims to serve a port it
    could not bind)."""

    def __init__(self, config: uvicorn.Config, started: Callable[[str], None],
                 url: str) -> None:
        super().__init__(config)
        self._started, self._url = started, url

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._started(self._url)


def serve_workbench(warehouse: Path, host: str, port: int, *, https_only: bool = False,
                    started: Callable[[str], None] = lambda url: None) -> None:
    """Serve until interrupted; `started` gets the address once the port is bound."""
    require_warehouse(warehouse)
    _check_free(host, port)
    app = create_app(warehouse, https_only=https_only)
    config = uvicorn.Config(app, host=host, port=port, log_config=LOG_CONFIG,
                            access_log=False, server_header=False, proxy_headers=False,
                            lifespan="off")
    shown = f"[{host}]" if ":" in host else host
    server = _Server(config, started, f"http://{shown}:{port}/")
    server.run()


def _check_free(host: str, port: int) -> None:
    """A port taken (or an address not of this machine) is one line before anything starts
    (uvicorn would log it among its own lines)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise PopdqError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
