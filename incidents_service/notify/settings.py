"""The dispatcher's settings, from environment variables (the allowed networks also from a flag)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from incidents_service.domain.notifications import RetryPolicy

# SPEC 14: each attempt gets 5 s.
ATTEMPT_TIMEOUT_SECONDS = 5.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class NotifySettings:
    # Networks a target may resolve into although they are loopback, private, link-local, ... (CIDRs).
    allow_networks: str = ""
    retry_base_seconds: float = 1.0  # first retry after this, then doubling
    retry_max_seconds: float = 600.0  # never more than this between attempts
    give_up_seconds: float = 86_400.0  # then the notification is failed
    # How long a claim holds: after a crash (kill -9) its notifications are delivered again after it.
    lease_seconds: float = 30.0
    poll_seconds: float = 0.5  # how often an idle dispatcher looks for due notifications
    concurrency: int = 32  # deliveries in flight per process
    # While calls are being served, the dispatcher's database work takes at most this share of the
    # time (1: it never holds back). Calls come first; with no call being served it runs flat out.
    busy_share: float = 0.1

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            allow_networks=env.get("INCIDENTS_WEBHOOK_ALLOW_NETWORKS", defaults.allow_networks),
            retry_base_seconds=float(env.get("INCIDENTS_NOTIFY_RETRY_BASE_SECONDS", defaults.retry_base_seconds)),
            retry_max_seconds=float(env.get("INCIDENTS_NOTIFY_RETRY_MAX_SECONDS", defaults.retry_max_seconds)),
            give_up_seconds=float(env.get("INCIDENTS_NOTIFY_GIVE_UP_SECONDS", defaults.give_up_seconds)),
            lease_seconds=float(env.get("INCIDENTS_NOTIFY_LEASE_SECONDS", defaults.lease_seconds)),
            poll_seconds=float(env.get("INCIDENTS_NOTIFY_POLL_SECONDS", defaults.poll_seconds)),
            concurrency=int(env.get("INCIDENTS_NOTIFY_CONCURRENCY", defaults.concurrency)),
            busy_share=float(env.get("INCIDENTS_NOTIFY_BUSY_SHARE", defaults.busy_share)),
        )

    def for_child_process(self) -> dict[str, str]:
        return {
            "INCIDENTS_WEBHOOK_ALLOW_NETWORKS": self.allow_networks,
            "INCIDENTS_NOTIFY_RETRY_BASE_SECONDS": str(self.retry_base_seconds),
            "INCIDENTS_NOTIFY_RETRY_MAX_SECONDS": str(self.retry_max_seconds),
            "INCIDENTS_NOTIFY_GIVE_UP_SECONDS": str(self.give_up_seconds),
            "INCIDENTS_NOTIFY_LEASE_SECONDS": str(self.lease_seconds),
            "INCIDENTS_NOTIFY_POLL_SECONDS": str(self.poll_seconds),
            "INCIDENTS_NOTIFY_CONCURRENCY": str(self.concurrency),
            "INCIDENTS_NOTIFY_BUSY_SHARE": str(self.busy_share),
        }

    def networks(self) -> list[Network]:
        return [
            ipaddress.ip_network(part.strip(), strict=False) for part in self.allow_networks.split(",") if part.strip()
        ]

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.retry_base_seconds, self.retry_max_seconds, self.give_up_seconds)

    def problems(self) -> list[str]:
        found = []
        try:
            self.networks()
        except ValueError as exc:
            found.append(f"INCIDENTS_WEBHOOK_ALLOW_NETWORKS must be comma-separated CIDRs: {exc}")
        if not 0.001 <= self.retry_base_seconds <= self.retry_max_seconds:
            found.append("the notification retry base must be at least 0.001 s and at most the longest retry interval")
        if not 0 < self.give_up_seconds <= 30 * 86_400:
            found.append("notifications must be given up after more than 0 s and at most 30 days")
        if self.lease_seconds < ATTEMPT_TIMEOUT_SECONDS + 1:
            found.append(
                f"the notification lease must be at least {ATTEMPT_TIMEOUT_SECONDS + 1:g} s (an attempt takes 5 s)"
            )
        if not 0.01 <= self.poll_seconds <= 60:
            found.append("the notification poll interval must be between 0.01 and 60 s")
        if not 1 <= self.concurrency <= 1000:
            found.append("notification concurrency must be between 1 and 1000")
        if not 0.01 <= self.busy_share <= 1:
            found.append("the notification dispatcher's share while calls are served must be between 0.01 and 1")
        return found
