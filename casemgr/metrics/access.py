"""Who may read ``/metrics``: a rule on values, no Flask inside (unit-tested).

Two ways in, configured from the environment:

- ``CASEMGR_METRICS_TOKEN``: a request with ``Authorization: Bearer <token>`` is let
  in from anywhere (only the token's SHA-256 is kept; compared in constant time).
- ``CASEMGR_METRICS_ALLOWED_NETWORKS`` (comma-separated CIDRs, default loopback
  ``127.0.0.1/32,::1/128``; ``none`` for no address at all): a request straight from
  such an address, carrying no ``Forwarded``/``X-Forwarded-For``/``X-Real-IP`` header,
  is let in without a token. A request that came through a proxy is never let in by
  address, since behind a proxy on the same host every client's address is the proxy's.

Anyone else gets the same 404 as for a page that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_NETWORKS = "127.0.0.1/32,::1/128"
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def parse_networks(value: str) -> tuple[Network, ...]:
    """CIDRs from configuration; raises ValueError naming the bad one."""
    words = [w.strip() for w in value.split(",") if w.strip()]
    if words == ["none"]:
        return ()
    networks = []
    for word in words:
        try:
            networks.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            raise ValueError(f"CASEMGR_METRICS_ALLOWED_NETWORKS: {word!r} is not an address or network") from None
    return tuple(networks)


@dataclass(frozen=True)
class MetricsAccess:
    token_sha256: bytes | None
    networks: tuple[Network, ...]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MetricsAccess:
        token = config.get("METRICS_TOKEN") or ""
        return cls(
            token_sha256=_digest(token) if token else None,
            networks=parse_networks(config.get("METRICS_ALLOWED_NETWORKS", DEFAULT_NETWORKS)),
        )

    def allows(self, remote_addr: str | None, headers: Mapping[str, str]) -> bool:
        """Whether a request from ``remote_addr`` with ``headers`` may read the metrics."""
        authorization = headers.get("Authorization") or ""
        scheme, _, given = authorization.partition(" ")
        if self.token_sha256 is not None and scheme.lower() == "bearer" and given.strip():
            return hmac.compare_digest(_digest(given.strip()), self.token_sha256)
        if any(headers.get(name) for name in PROXY_HEADERS) or not remote_addr:
            return False
        try:
            address = ipaddress.ip_address(remote_addr)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack socket
        return any(address in network for network in self.networks)
