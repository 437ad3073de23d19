"""The SSRF guard: every IPv6 form that carries an IPv4 address, and malformed host names."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.sources.netguard import UrlGuard, is_public_address
from tests.fakes.http_server import http_server  # noqa: F401 - fixture


@pytest.mark.parametrize("address", [
    "169.254.169.254", "127.0.0.1", "10.0.0.1", "::1", "fe80::1",
    "::ffff:169.254.169.254",          # IPv4-mapped
    "64:ff9b::a9fe:a9fe",              # NAT64 of 169.254.169.254
    "64:ff9b:1::a9fe:a9fe",            # local-use NAT64
    "2002:a9fe:a9fe::",                # 6to4 of 169.254.169.254
    "2002:7f00:1::1",                  # 6to4 of 127.0.0.1
    "::a9fe:a9fe",                     # IPv4-compatible
    "::ffff:0:a9fe:a9fe",              # SIIT
    "2001:0:4136:e378:8000:63bf:f5fe:fffe",  # Teredo, client 10.1.0.1 obfuscated
])
def test_non_public_addresses_in_every_form_are_refused(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946",
                                     "64:ff9b::5db8:d822", "2002:5db8:d822::1"])
def test_public_addresses_pass(address):
    assert is_public_address(address)


@pytest.mark.parametrize("url", [
    "https://" + "a" * 70 + ".example.edu/v.mp4",   # a label over 63 characters
    "https://media..example.edu/v.mp4",             # an empty label
    "https://" + ("abcdefghi." * 26) + "edu/v.mp4",  # over 253 characters
    "https://media.example.edu:99999/v.mp4",        # a port out of range
    "https://[::1/v.mp4",                           # a bracket left open
    "https://xn--zz.example.edu/v.mp4",             # a punycode label that does not decode (IDNA error)
    "https://%zz.example.edu/v.mp4",                # characters no host name has
    "https://.example.edu/v.mp4",                   # an empty first label
])
def test_malformed_links_are_not_valid_links(url):
    for allow in (False, True):
        with pytest.raises(InputError, match="not a valid link"):
            UrlGuard(allow, resolve=lambda h, p: ["93.184.216.34"]).check(url, url)


def test_a_name_resolving_to_a_nat64_metadata_address_is_refused():
    guard = UrlGuard(False, resolve=lambda h, p: ["64:ff9b::a9fe:a9fe"])
    with pytest.raises(InputError, match="private or local network"):
        guard.check("https://evil.example/v.mp4", "https://evil.example/v.mp4")


def test_international_names_still_work():
    UrlGuard(False, resolve=lambda h, p: ["93.184.216.34"]).check("https://vidéo.example.fr/v.mp4", "x")


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(monkeypatch, http_server):
    """DNS rebinding: the name is resolved once, by the guard; the download connects to that answer only."""
    import httpx

    from pipeline.sources import netguard
    from pipeline.sources.netguard import pinned_transport

    http_server.add("/v.mp4", b"video bytes", "video/mp4")
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])  # a rebinding resolver: public first, then metadata
    guard = UrlGuard(False, resolve=lambda h, p: next(answers))
    monkeypatch.setattr(netguard, "is_public_address", lambda a: a == "127.0.0.1")  # the test server is "public"
    url = f"http://lecture.invalid:{http_server.port}/v.mp4"  # a name no real resolver knows
    guard.check(url, url)
    with httpx.Client(transport=pinned_transport(guard)) as client:
        r = client.get(url)
    assert r.status_code == 200 and r.content == b"video bytes"
    assert next(answers) == ["169.254.169.254"], "the second answer was never asked for"


def test_an_unchecked_host_is_never_connected_to(http_server):
    import httpx

    from pipeline.sources.netguard import pinned_transport

    guard = UrlGuard(False, resolve=lambda h, p: ["93.184.216.34"])
    with httpx.Client(transport=pinned_transport(guard)) as client, pytest.raises(httpx.ConnectError,
                                                                                 match="not checked"):
        client.get(http_server.url("/anything"))


@pytest.mark.parametrize("url", ["https://ann:hunter2@media..example.edu/v.mp4?X-Amz-Signature=abc123",
                                 "https://ann:hunter2@media.example.edu:99999/v.mp4?sig=abc123",
                                 "https://ann:hunter2@[::1/v.mp4?token=abc123"])
def test_a_malformed_link_is_refused_without_repeating_its_password_or_signature(url):
    from pipeline.sources.netguard import check_link_form

    for check in (lambda: check_link_form(url), lambda: UrlGuard(True).check(url, "the link")):
        with pytest.raises(InputError, match="not a valid link") as e:
            check()
        assert "hunter2" not in e.value.message and "abc123" not in e.value.message, e.value.message
