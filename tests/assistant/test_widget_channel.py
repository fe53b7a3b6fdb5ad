"""The widget channel over HTTP: what it serves, with which headers, and its npm error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from connectors.widget_channel import (
    ASSETS,
    WIDGET_DIR,
    MissingNpmPackage,
    WidgetAssets,
    asset_path,
)

# Helper asserts in widget_support get pytest's rich failure messages.
pytest.register_assert_rewrite("tests.assistant.widget_support")

from tests.assistant.widget_support import NODE_MODULES, ROOT, FakeBot  # noqa: E402

pytest_plugins = ["tests.assistant.widget_support"]

EXPECTED_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "connect-src": ["'self'", "ws:", "wss:"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
    "object-src": ["'none'"],
    "require-trusted-types-for": ["'script'"],
}


def parse_csp(header: str) -> dict[str, list[str]]:
    policy = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


@pytest.fixture(scope="module")
def widget(rasa_url: str) -> str:
    return f"{rasa_url}/webhooks/widget"


@pytest.mark.parametrize("page", ["demo", "datenschutz"])
def test_pages_carry_a_csp_that_allows_exactly_the_widget(widget: str, page: str) -> None:
    response = httpx.get(f"{widget}/{page}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert parse_csp(response.headers["content-security-policy"]) == EXPECTED_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    html = response.text
    assert '<html lang="de">' in html
    scripts = re.findall(r"<script\b[^>]*>", html)
    # One tag embeds the widget; nothing inline (no script body, no handlers, no style attributes).
    assert scripts == ['<script src="stadtlotse-widget.js" data-server="/" defer>']
    assert re.search(r"<script[^>]*>\s*[^<\s]", html) is None
    assert re.search(r"\son[a-z]+\s*=", html) is None
    assert " style=" not in html


def test_demo_page_looks_like_a_city_page(widget: str) -> None:
    html = httpx.get(f"{widget}/demo", timeout=10).text
    for landmark in ("<header", "<main", "<nav", "<footer", "<h1>"):
        assert landmark in html
    assert "Stadt Duisburg" in html
    assert 'href="datenschutz"' in html  # the privacy page the widget's notice links to


@pytest.mark.parametrize(
    ("name", "content_type", "marker"),
    [
        ("stadtlotse-widget.js", "text/javascript; charset=utf-8", "window.Stadtlotse"),
        ("stadtlotse-widget.css", "text/css; charset=utf-8", ".sl-root"),
        ("socket.io.min.js", "text/javascript; charset=utf-8", "Socket.IO v4"),
        ("site.css", "text/css; charset=utf-8", ".site-header"),
        ("favicon.svg", "image/svg+xml", "<svg"),
    ],
)
def test_assets_are_served_with_type_and_caching(
    widget: str, name: str, content_type: str, marker: str
) -> None:
    response = httpx.get(f"{widget}/{name}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert marker in response.text
    etag = response.headers["etag"]
    again = httpx.get(f"{widget}/{name}", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304
    assert again.content == b""


def test_socket_io_client_is_the_pinned_npm_version(widget: str) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["socket.io-client"]
    installed = json.loads((NODE_MODULES / "socket.io-client" / "package.json").read_text())
    assert installed["version"] == pinned
    assert pinned.startswith("4.")
    served = httpx.get(f"{widget}/socket.io.min.js", timeout=10).text
    assert f"Socket.IO v{pinned}" in served


@pytest.mark.parametrize(
    "path",
    [
        "nope",
        "demo.html",
        "..%2Fwidget_channel.py",
        "%2e%2e%2f%2e%2e%2fpackage.json",
        "stadtlotse-widget.js%00.css",
        "DEMO",
    ],
)
def test_only_listed_names_are_served(widget: str, path: str) -> None:
    response = httpx.get(f"{widget}/{path}", timeout=10)
    assert response.status_code == 404
    assert "Nicht gefunden" in response.text


def test_health_route(widget: str) -> None:
    for url in (widget, f"{widget}/"):
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_every_listed_asset_exists() -> None:
    for asset in ASSETS.values():
        assert asset_path(asset, NODE_MODULES).is_file(), asset
    assert {p.name for p in WIDGET_DIR.iterdir()} >= {
        a.file for a in ASSETS.values() if not a.from_npm
    }


def test_missing_npm_install_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingNpmPackage, match="npm ci"):
        asset_path(ASSETS["socket.io.min.js"], tmp_path)
    channel = WidgetAssets.from_credentials({"node_modules": str(tmp_path)})
    assert isinstance(channel, WidgetAssets)
    assert channel.node_modules == tmp_path
    assert WidgetAssets.from_credentials(None).node_modules == NODE_MODULES


def test_missing_npm_install_answers_503_and_says_how_to_fix(tmp_path: Path) -> None:
    bot = FakeBot(node_modules=tmp_path).start()
    try:
        response = httpx.get(f"{bot.url}/webhooks/widget/socket.io.min.js", timeout=10)
        assert response.status_code == 503
        assert "npm ci" in response.text
        # The widget itself is still served, so the page shows its "unreachable" state.
        assert httpx.get(f"{bot.url}/webhooks/widget/stadtlotse-widget.js").status_code == 200
    finally:
        bot.stop()


def test_package_json_lists_exactly_what_is_needed() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    assert package["dependencies"] == {
        "socket.io-client": package["dependencies"]["socket.io-client"]
    }
    assert set(package["devDependencies"]) == {"axe-core", "rasa-webchat"}
    versions = {**package["dependencies"], **package["devDependencies"]}
    for name, version in versions.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
    assert versions["axe-core"].startswith("4.")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert lock["packages"][""]["devDependencies"] == package["devDependencies"]
    for name, version in versions.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_widget_source_has_no_html_sinks() -> None:
    """The renderer builds DOM nodes only: no HTML strings, no eval (the browser tests prove it)."""
    source = (WIDGET_DIR / "stadtlotse-widget.js").read_text()
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("on',
        "srcdoc",
    ):
        assert sink not in source, sink
