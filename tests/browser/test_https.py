"""The browser's trust in the proxy's certificate is real: without the test CA chromium refuses
the site, with it the page loads (tests/browser/conftest.py `https_browser`)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error


def test_chromium_trusts_the_proxy_only_through_the_test_ca(browser, https_browser, nginx_proxy):
    stranger = browser.new_page()
    with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
        stranger.goto(nginx_proxy.url + "/anmelden")
    stranger.close()
    trusting = https_browser.new_page()
    response = trusting.goto(nginx_proxy.url + "/anmelden")
    assert response.status == 200 and trusting.url == nginx_proxy.url + "/anmelden"
    assert response.security_details()["protocol"] in ("TLS 1.3", "TLS 1.2")
    trusting.close()
