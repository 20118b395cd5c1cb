"""The HTTP adapter: the only code in the assistant that uses the network.

:class:`WebClient` downloads one page at a time, with timeouts, a redirect cap
and a size cap, and only from public addresses. A host is resolved before
anything is sent, and every address it resolves to must be public; each
redirect's target is checked the same way, and after connecting, the address
actually reached is checked again before the body is read, so a name that
resolves to another address the second time gains nothing. Loopback, private,
link-local, unique-local, multicast and reserved addresses are refused unless
the maintainer allows their network (``--allow-network``).

Not handled on purpose: behind a proxy from the environment the proxy makes
the connection, so only the check before sending applies; user names and
passwords in URLs are never sent (pages behind a login are not fetched).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from assistant.config import Settings
from assistant.errors import FetchError

log = logging.getLogger(__name__)

HTML_TYPES = {"text/html", "application/xhtml+xml"}
FETCHED_TYPES = HTML_TYPES | {"application/pdf", "text/plain"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


def media_type(content_type: str, body_start: bytes = b"") -> str:
    """The media type of a response, sniffed from the body when not declared.

    >>> media_type("text/HTML; charset=utf-8")
    'text/html'
    >>> media_type("", b"%PDF-1.4")
    'application/pdf'
    """
    declared = content_type.split(";", 1)[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    if body_start.startswith(b"%PDF"):
        return "application/pdf"
    if re.search(rb"<(!doctype html|html|head|body|p)\b", body_start[:2048], re.IGNORECASE):
        return "text/html"
    return declared or "application/octet-stream"


def address_kind(address: str) -> str:
    """What kind of non-public address this is, or '' for a public one.

    >>> address_kind("93.184.216.34"), address_kind("127.0.0.1"), address_kind("::1"), address_kind("10.0.0.1")
    ('', 'loopback', 'loopback', 'private')
    >>> address_kind("169.254.169.254"), address_kind("fd00::1"), address_kind("0.0.0.0"), address_kind("100.64.0.1")
    ('link-local', 'unique-local', 'unspecified', 'reserved')
    >>> address_kind("::ffff:127.0.0.1"), address_kind("2002:0a00:0001::1"), address_kind("fe80::1%eth0")
    ('loopback', 'private', 'link-local')
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches the IPv4 host.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return address_kind(str(embedded))
    kinds = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unique-local", ip.version == 6 and ip in ipaddress.ip_network("fc00::/7")),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved or not ip.is_global),
    )
    return next((kind for kind, found in kinds if found), "")


def refusal(address: str, allowed: Iterable[Network]) -> str:
    """Why an address may not be fetched ('' when it may): what it is, and how to allow it.

    >>> refusal("10.1.2.3", []), refusal("10.1.2.3", [ipaddress.ip_network("10.0.0.0/8")])
    ('a private address (10.1.2.3); only public addresses are fetched unless you pass --allow-network 10.1.2.3', '')
    """
    kind = address_kind(address)
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not kind or any(ip in network for network in allowed):
        return ""
    return f"a {kind} address ({ip}); only public addresses are fetched unless you pass --allow-network {ip}"


def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to, as the connection will resolve it."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise FetchError(f"could not find the address of {host} ({getattr(e, 'strerror', None) or e}).") from e
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FetchError(f"{url!r} is not an http(s) URL.")


@dataclass(frozen=True, kw_only=True)
class Download:
    url: str
    final_url: str
    media_type: str
    charset: str
    body: bytes


def user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("self-compassion-assistant")
    except PackageNotFoundError:
        number = "dev"
    return f"self-compassion-assistant/{number} (offline Q&A; fetches the pages its corpus cites)"


class WebClient:
    """Downloads one page at a time with timeouts, a redirect cap, a size cap and an address check."""

    def __init__(
        self,
        timeout: float,
        max_bytes: int,
        max_redirects: int,
        allowed: Sequence[Network] = (),
        resolver: Resolver = resolve,
    ) -> None:
        import httpx

        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allowed = tuple(allowed)
        self.resolver = resolver
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # followed by hand, to check each target and name a loop as a loop
            headers={
                "User-Agent": user_agent(),
                "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8",
            },
        )
        from urllib.request import getproxies

        self._proxied = bool(getproxies())

    @classmethod
    def from_settings(cls, settings: Settings) -> WebClient:
        allowed = [ipaddress.ip_network(str(n), strict=False) for n in settings.fetch_allowed_networks]
        return cls(settings.fetch_timeout, settings.fetch_max_bytes, settings.fetch_max_redirects, allowed)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> WebClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_host(self, url: str, redirected: bool) -> None:
        """Refuse a URL whose host resolves to any address that may not be fetched."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        for address in self.resolver(host, port):
            if reason := refusal(address, self.allowed):
                where = f"the page redirects to {url}, which is" if redirected else f"{host} is"
                raise FetchError(f"{where} {reason}.")

    def _check_peer(self, url: str, response: Any) -> None:
        """Refuse a connection that reached an address the name did not resolve to when checked."""
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None and not self._proxied else None
        if peer and (reason := refusal(str(peer[0]), self.allowed)):
            raise FetchError(f"the connection to {urlsplit(url).hostname} reached {reason}.")

    def get(self, url: str) -> Download:
        """GET a page; raise :class:`FetchError` with a reason a person can act on."""
        import httpx

        check_url(url)
        self._check_host(url, redirected=False)
        try:
            request = self._client.build_request("GET", url)
            seen = [str(request.url)]
            while True:
                response = self._client.send(request, stream=True)
                try:
                    self._check_peer(str(request.url), response)
                    if response.is_redirect and response.next_request is not None:
                        request = response.next_request
                        target = str(request.url)
                        if target in seen:
                            raise FetchError(f"the page redirects in a loop ({' → '.join([*seen, target])}).")
                        if len(seen) > self.max_redirects:
                            raise FetchError(f"the page redirects more than {self.max_redirects} times.")
                        check_url(target)
                        self._check_host(target, redirected=True)
                        seen.append(target)
                        continue
                    return self._read(url, response)
                finally:
                    response.close()
        except httpx.TimeoutException as e:
            raise FetchError(f"no response from {_host(url)} within {self.timeout:g} s ({_name(e)}).") from e
        except httpx.ConnectError as e:
            raise FetchError(f"could not connect to {_host(url)} ({e or _name(e)}).") from e
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
            raise FetchError(f"{url} is not an http(s) URL that can be fetched ({e}).") from e
        except httpx.HTTPError as e:
            raise FetchError(f"the connection to {_host(url)} failed ({_name(e)}: {e}).") from e

    def _read(self, url: str, response: Any) -> Download:
        if response.status_code >= 400:
            phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
            raise FetchError(f"the server answered HTTP {response.status_code}{phrase}.")
        if response.status_code != 200:
            raise FetchError(f"the server answered HTTP {response.status_code} instead of the page.")
        header = response.headers.get("content-type", "")
        declared = media_type(header)
        if declared and declared != "application/octet-stream" and declared not in FETCHED_TYPES:
            raise FetchError(
                f"the server sent {declared}, which is not a web page; only HTML, plain text and PDF are saved."
            )
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise FetchError(f"the page is {int(length):,} bytes, over the {self.max_bytes:,}-byte limit.")
        body = bytearray()
        for piece in response.iter_bytes():
            body += piece
            if len(body) > self.max_bytes:
                raise FetchError(f"the page is over the {self.max_bytes:,}-byte limit; stopped reading.")
        return Download(
            url=url,
            final_url=str(response.url),
            media_type=media_type(header, bytes(body[:4096])),
            charset=response.charset_encoding or "",
            body=bytes(body),
        )


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def _name(error: Exception) -> str:
    return error.__class__.__name__
