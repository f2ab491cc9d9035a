"""The client loads the CA bundle only for https:// (itg/client.py `_tls_context`)."""

from __future__ import annotations

import ssl

from itg.client import _tls_context


def test_https_verifies_with_the_default_ca_bundle() -> None:
    assert _tls_context("https") is True


def test_http_gets_a_context_that_trusts_nothing_and_verifies() -> None:
    context = _tls_context("http")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.get_ca_certs() == []
