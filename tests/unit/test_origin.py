"""The same-origin rule of SPEC 1.1 "Browsers" (itg.api.origin.is_cross_origin)."""

from __future__ import annotations

import pytest

from itg.api.origin import is_cross_origin


@pytest.mark.parametrize(
    ("scheme", "host", "origin"),
    [
        pytest.param("http", "itg.example", "http://itg.example", id="default-port-80"),
        pytest.param("http", "itg.example:80", "http://itg.example", id="explicit-80-in-host"),
        pytest.param("http", "itg.example", "http://itg.example:80", id="explicit-80-in-origin"),
        pytest.param("https", "itg.example", "https://itg.example", id="default-port-443"),
        pytest.param("https", "itg.example:443", "https://itg.example", id="explicit-443-in-host"),
        pytest.param("https", "itg.example", "https://itg.example:443", id="explicit-443-origin"),
        pytest.param("http", "127.0.0.1:8000", "http://127.0.0.1:8000", id="ipv4-and-port"),
        pytest.param("http", "[::1]:8000", "http://[::1]:8000", id="ipv6-and-port"),
        pytest.param("http", "ITG.Example:8000", "HTTP://itg.example:8000", id="case-insensitive"),
        pytest.param("http", " itg.example ", " http://itg.example ", id="surrounding-space"),
    ],
)
def test_the_request_own_origin_is_same_origin(scheme: str, host: str, origin: str) -> None:
    assert not is_cross_origin(scheme, host, [origin], [])


@pytest.mark.parametrize(
    ("scheme", "host", "origin"),
    [
        pytest.param("http", "itg.example", "http://evil.example", id="other-host"),
        pytest.param("http", "itg.example", "http://itg.example.evil", id="host-as-a-prefix"),
        pytest.param("http", "itg.example", "http://sub.itg.example", id="subdomain"),
        pytest.param("http", "itg.example:8000", "http://itg.example:8001", id="other-port"),
        pytest.param("http", "itg.example:8000", "http://itg.example", id="port-vs-default"),
        pytest.param("http", "itg.example", "http://itg.example:443", id="http-on-443"),
        pytest.param("http", "itg.example", "https://itg.example", id="other-scheme"),
        pytest.param("https", "itg.example", "http://itg.example", id="https-vs-http"),
        pytest.param("http", "itg.example", "null", id="null"),
        pytest.param("http", "itg.example", "", id="empty"),
        pytest.param("http", "itg.example", "itg.example", id="no-scheme"),
        pytest.param("http", "itg.example", "http://itg.example/", id="with-path"),
        pytest.param("http", "itg.example", "http://user@itg.example", id="with-user-info"),
        pytest.param("http", "itg.example", "ftp://itg.example", id="scheme-without-default"),
        pytest.param("http", "itg.example", "http://itg.example http://x", id="origin-list"),
        pytest.param("http", "[::1]:8000", "http://[::2]:8000", id="other-ipv6"),
        pytest.param("http", None, "http://itg.example", id="no-host-header"),
        pytest.param("http", "itg.example/x", "http://itg.example", id="unusable-host"),
    ],
)
def test_any_other_origin_is_cross_origin(scheme: str, host: str | None, origin: str) -> None:
    assert is_cross_origin(scheme, host, [origin], [])


def test_without_origin_nothing_is_refused() -> None:
    # API clients send no Origin; neither a missing Host nor an odd one matters then.
    assert not is_cross_origin("http", "itg.example", [], [])
    assert not is_cross_origin("http", None, [], [])
    assert not is_cross_origin("http", "itg.example/x", [], [])


def test_every_origin_header_must_be_the_request_own() -> None:
    same = "http://itg.example"
    assert not is_cross_origin("http", "itg.example", [same, same], [])
    assert is_cross_origin("http", "itg.example", [same, "http://evil.example"], [])


@pytest.mark.parametrize("site", ["cross-site", "Cross-Site", " cross-site "])
def test_sec_fetch_site_cross_site_is_refused_even_with_a_same_origin(site: str) -> None:
    assert is_cross_origin("http", "itg.example", [], [site])
    assert is_cross_origin("http", "itg.example", ["http://itg.example"], [site])


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none"])
def test_other_sec_fetch_site_values_alone_are_not_refused(site: str) -> None:
    assert not is_cross_origin("http", "itg.example", [], [site])
    assert not is_cross_origin("http", "itg.example", ["http://itg.example"], [site])
