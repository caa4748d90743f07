"""The address a request came from, as the login lockout counts it (settings.AXES_CLIENT_IP_CALLABLE).

Behind a reverse proxy (nginx on the same machine) every request reaches Django from the proxy's
address, 127.0.0.1: counted by that, five wrong passwords from anyone would lock a user out for
everyone. The proxy tells the client's address in X-Forwarded-For, but anyone can send that
header too, so it is believed only as far as trusted proxies wrote it:

- REMOTE_ADDR not a trusted proxy (settings.TRUSTED_PROXIES): REMOTE_ADDR, the header ignored;
- else the header's addresses are read right to left (each proxy appends the address it was
  reached from), trusted proxies skipped: the first one that is not a trusted proxy is the
  client. What lies left of it was written by the client and is never looked at.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values) -> tuple[Network, ...]:
    """TRUSTED_PROXIES as networks ("127.0.0.1", "10.0.0.0/8", "::1"); ValueError names a bad one."""
    networks = []
    for value in values:
        value = str(value).strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES 中的「{value}」不是 IP 地址或网段（如 127.0.0.1、10.0.0.0/8）"
            ) from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(text: str) -> Address | None:
    """An address as a header or REMOTE_ADDR gives it: `1.2.3.4`, `1.2.3.4:5678`, `[::1]:80`."""
    text = text.strip().strip('"')
    if text.startswith("["):  # [v6] or [v6]:port
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:1.2.3.4 is 1.2.3.4
    return mapped or address


def _is_trusted(address: Address, networks) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the right-most address of
    X-Forwarded-For that is not a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _trusted(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    nearest = _address(remote)
    if nearest is None or not networks or not _is_trusted(nearest, networks):
        return str(nearest) if nearest is not None else (remote or None)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([e for e in forwarded.split(",") if e.strip()]):
        address = _address(entry)
        if address is None:
            # A trusted proxy never writes this: the nearest address we can vouch for stands.
            break
        nearest = address
        if not _is_trusted(address, networks):
            break
    return str(nearest)
