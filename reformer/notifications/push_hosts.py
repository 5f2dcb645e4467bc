"""Where push messages may be sent: the server POSTs to whatever endpoint a browser
registered, so an endpoint naming an internal address would make it a proxy into the
private network (SSRF). Real push services (FCM, Mozilla autopush, Apple) are public
https hosts on the default port.

Checked twice: at registration by the endpoint's text (no IP literal, no localhost,
single-label, .local/.internal/.localhost name, no other port, no user info), and at each
send by what the host resolves to now (no private, loopback, link-local, reserved,
multicast or shared address). `settings.PUSH_ALLOW_PRIVATE_HOSTS` (False unless set; the
tests' fake push service on 127.0.0.1 sets it) turns both off: never on by default.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

BLOCKED_SUFFIXES = (".local", ".internal", ".localhost", ".localdomain", ".home.arpa")
DEFAULT_PORTS = {"https": 443, "http": 80}


class UnsafePushHost(Exception):
    """The endpoint's host is not a public push service."""


def _private_allowed() -> bool:
    return bool(getattr(settings, "PUSH_ALLOW_PRIVATE_HOSTS", False))


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_global and not address.is_multicast


def check_endpoint_host(endpoint: str) -> None:
    """Refuse an endpoint whose text names a host no push service uses."""
    if _private_allowed():
        return
    url = urlsplit(endpoint)
    host = (url.hostname or "").rstrip(".").lower()
    try:
        port = url.port
    except ValueError:
        raise UnsafePushHost("The push endpoint's port is not valid.") from None
    if url.username is not None or url.password is not None:
        raise UnsafePushHost("The push endpoint must not carry a user name or password.")
    if port is not None and port != DEFAULT_PORTS.get(url.scheme):
        raise UnsafePushHost("The push endpoint must use the standard https port.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise UnsafePushHost("The push endpoint must name a push service, not an IP address.")
    last_label = host.rsplit(".", 1)[-1]
    if last_label.isdigit() or last_label.startswith("0x"):  # 127.1, 0x7f.1: IPs in disguise
        raise UnsafePushHost("The push endpoint must name a push service, not an IP address.")
    if host == "localhost" or "." not in host or host.endswith(BLOCKED_SUFFIXES):
        raise UnsafePushHost("The push endpoint must be a public push service's address.")


def check_resolves_public(endpoint: str) -> None:
    """At send time: every address the host resolves to must be public (a name may point
    anywhere, and may change after registration). OSError when it does not resolve."""
    check_endpoint_host(endpoint)
    if _private_allowed():
        return
    url = urlsplit(endpoint)
    infos = socket.getaddrinfo(url.hostname or "", url.port or 443, proto=socket.IPPROTO_TCP)
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
    if not addresses or not all(_is_public(a) for a in addresses):
        raise UnsafePushHost("The push endpoint's host resolves to a private address.")
