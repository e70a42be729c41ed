"""Settings from environment variables, each overridable by a command-line flag (SPEC section 10)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from incidents_service.notify.settings import NotifySettings

DEFAULT_DATABASE_URL = "sqlite:///incidents.db"
DEFAULT_LISTEN = "127.0.0.1:50051"
DEFAULT_HTTP_LISTEN = "127.0.0.1:8080"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    listen: str = DEFAULT_LISTEN
    # HTTP (Connect and the alert intake, SPEC 12); "" serves none. `serve` defaults to DEFAULT_HTTP_LISTEN
    # (from_environment); a server built in code (tests, embedding) serves HTTP only when asked.
    http_listen: str = ""
    tls_cert: str | None = None  # PEM certificate chain; with tls_key, the server speaks TLS only
    tls_key: str | None = None
    # Threads running calls' storage work, per process. Each holds one database connection at a time, so
    # it also sizes the two storage pools (writes, reads): at most 2 x workers + 2 connections a process.
    workers: int = 16
    log_level: str = "INFO"
    grace_seconds: float = 10.0  # SIGTERM: how long calls in flight may take to finish
    # The most one call's statements may run, whatever the client's deadline (SPEC 11).
    statement_timeout_seconds: float = 10.0
    processes: int = 1  # serving processes sharing the listen port
    reuse_port: bool = False  # set by `serve --processes N` for its children only
    notify: NotifySettings = field(default_factory=NotifySettings)  # the notification dispatcher (SPEC 14)

    @classmethod
    def from_environment(cls) -> Settings:
        env = os.environ
        return cls(
            database_url=env.get("INCIDENTS_DATABASE_URL", DEFAULT_DATABASE_URL),
            listen=env.get("INCIDENTS_LISTEN", DEFAULT_LISTEN),
            http_listen=env.get("INCIDENTS_HTTP_LISTEN", DEFAULT_HTTP_LISTEN),
            tls_cert=env.get("INCIDENTS_TLS_CERT") or None,
            tls_key=env.get("INCIDENTS_TLS_KEY") or None,
            workers=int(env.get("INCIDENTS_WORKERS", "16")),
            log_level=env.get("INCIDENTS_LOG_LEVEL", "INFO").upper(),
            grace_seconds=float(env.get("INCIDENTS_GRACE_SECONDS", "10")),
            statement_timeout_seconds=float(env.get("INCIDENTS_STATEMENT_TIMEOUT_SECONDS", "10")),
            processes=int(env.get("INCIDENTS_PROCESSES", "1")),
            reuse_port=env.get("INCIDENTS_REUSE_PORT", "") == "1",
            notify=NotifySettings.from_environment(env),
        )

    def for_child_process(self) -> dict[str, str]:
        """The environment that makes `serve` in a child process serve exactly these settings, on a
        port shared with its siblings."""
        return {
            "INCIDENTS_DATABASE_URL": self.database_url,
            "INCIDENTS_LISTEN": self.listen,
            "INCIDENTS_HTTP_LISTEN": self.http_listen,
            "INCIDENTS_TLS_CERT": self.tls_cert or "",
            "INCIDENTS_TLS_KEY": self.tls_key or "",
            "INCIDENTS_WORKERS": str(self.workers),
            "INCIDENTS_LOG_LEVEL": self.log_level,
            "INCIDENTS_GRACE_SECONDS": str(self.grace_seconds),
            "INCIDENTS_STATEMENT_TIMEOUT_SECONDS": str(self.statement_timeout_seconds),
            "INCIDENTS_PROCESSES": "1",
            "INCIDENTS_REUSE_PORT": "1",
            **self.notify.for_child_process(),
        }

    def problems(self) -> list[str]:
        """Settings that cannot work, each as one line for the operator."""
        found = []
        if bool(self.tls_cert) != bool(self.tls_key):
            found.append("TLS needs both a certificate (INCIDENTS_TLS_CERT) and a key (INCIDENTS_TLS_KEY)")
        for path in (self.tls_cert, self.tls_key):
            if path and not os.path.isfile(path):
                found.append(f"TLS file not found: {path}")
        if not 1 <= self.workers <= 1000:
            found.append("workers must be between 1 and 1000")
        if not 1 <= self.processes <= 64:
            found.append("processes must be between 1 and 64")
        if not 0.1 <= self.statement_timeout_seconds <= 3600:
            found.append("statement timeout must be between 0.1 and 3600 seconds")
        if self.processes > 1 and self.listen.endswith(":0"):
            found.append("--processes needs a fixed port: the processes share it")
        found.extend(self.notify.problems())
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            found.append("log level must be DEBUG, INFO, WARNING or ERROR")
        host, _, port = self.listen.rpartition(":")
        if not host or not port.isdigit():
            found.append(f"listen address must be HOST:PORT, got {self.listen!r}")
        if self.http_listen:
            host, _, port = self.http_listen.rpartition(":")
            if not host or not port.isdigit():
                found.append(f"HTTP listen address must be HOST:PORT (or empty: no HTTP), got {self.http_listen!r}")
            elif self.processes > 1 and port == "0":
                found.append("--processes needs a fixed HTTP port: the processes share it")
        return found
