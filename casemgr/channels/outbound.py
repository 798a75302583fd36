"""Outbound HTTP to an address a user chose (webhook endpoints), never to our own network.

A customer admin names the URL, so the request must not reach what only the server
can reach: the cloud metadata service, the database, other hosts on the private
network. A destination is allowed only when every address its host resolves to is a
public (globally routable) one, or lies in a network the operator allowed
(``CASEMGR_WEBHOOK_ALLOWED_NETWORKS``, e.g. an internal receiver). The check runs when
the endpoint is registered and again at every delivery, and the connection goes to
the very address that was checked (no second lookup a DNS rebinding could answer
differently). Redirects are not followed. Errors are reported in a few words that
say nothing about the inside of our network.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from casemgr.errors import RuleError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class DestinationRefused(RuleError):
    """The URL is not one Casemgr sends requests to (422)."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.1.2.0/24, 127.0.0.1/32"`` -> networks; a bad entry is a configuration error."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in (text or "").split(",") if part.strip())


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


def address_allowed(address: Address, allowed: Sequence[Network]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address in network for network in allowed):
        return True
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query
    address: str  # the checked address the connection goes to


def check_destination(url: str, allowed: Sequence[Network], resolver: Resolver = system_resolver) -> Destination:
    """The destination of ``url`` if Casemgr may send to it; else :class:`DestinationRefused`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("The URL must be an absolute http:// or https:// URL.")
    if parts.username or parts.password:
        raise DestinationRefused("The URL must not carry a user name or password; the signature authenticates us.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DestinationRefused("The URL's port is not a number between 1 and 65535.") from None
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(host, port)]
        except (OSError, UnicodeError, ValueError):
            raise DestinationRefused(f"The host {host} does not resolve to an address.") from None
    if not addresses:
        raise DestinationRefused(f"The host {host} does not resolve to an address.")
    if not all(address_allowed(a, allowed) for a in addresses):
        raise DestinationRefused(
            f"{host} is a private, loopback or reserved address; webhooks go to public addresses only."
        )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, target, str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the host."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self.pinned_address = destination.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is verified for the host name, not the address."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(destination.host, destination.port, timeout=timeout, context=self.tls)
        self.pinned_address = destination.address

    def connect(self) -> None:
        raw = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


class DeliveryFailed(Exception):
    """A request that got no HTTP answer; the message is safe to show the customer."""


def post_json(destination: Destination, body: str, headers: dict[str, str], timeout: float = 10) -> int:
    """POST ``body`` to the checked destination; the HTTP status (a redirect is a status
    like any other: not followed)."""
    cls = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    connection = cls(destination, timeout)
    try:
        connection.request(
            "POST", destination.target, body=body.encode(), headers={"Content-Type": "application/json", **headers}
        )
        return connection.getresponse().status
    except TimeoutError:
        raise DeliveryFailed("no answer within the time limit") from None
    except ssl.SSLError:
        raise DeliveryFailed("TLS handshake or certificate check failed") from None
    except (OSError, http.client.HTTPException):
        raise DeliveryFailed("could not connect or the connection broke") from None
    finally:
        connection.close()
