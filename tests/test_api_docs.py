"""`/docs` and `/redoc` load everything from the service itself: they work offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

PAGES = pytest.mark.parametrize("page", ["/docs", "/redoc"])


class _References(HTMLParser):
    """Every `src` and `href` of a page, with the tag (and `rel`) that carries it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if (url := values.get(name)) is not None:
                self.found.append((tag, values.get("rel") or "", url))


async def references(
    client: httpx.AsyncClient, page: str
) -> tuple[str, list[tuple[str, str, str]]]:
    response = await client.get(page)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    parser = _References()
    parser.feed(response.text)
    return response.text, parser.found


def expected_type(tag: str, rel: str) -> str:
    """The content type a browser wants for what this tag loads."""
    if tag == "script":
        return "javascript"
    if "stylesheet" in rel:
        return "text/css"
    assert "icon" in rel, (tag, rel)
    return "image/png"


@PAGES
async def test_page_references_only_paths_of_the_service(
    client: httpx.AsyncClient, page: str
) -> None:
    html, found = await references(client, page)

    assert {tag for tag, _, _ in found} >= {"script", "link"}
    for tag, _, url in found:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), (tag, url)
        assert url.startswith("/"), (tag, url)
    # Nor anything an inline script or style could fetch: no absolute or protocol-relative URL.
    assert re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html) is None, html


@PAGES
async def test_every_asset_of_the_page_is_served(client: httpx.AsyncClient, page: str) -> None:
    _, found = await references(client, page)

    for tag, rel, url in found:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert expected_type(tag, rel) in response.headers["content-type"], (url, response.headers)
        smallest = 1_000 if tag == "link" and "icon" in rel else 50_000
        assert len(response.content) > smallest, url


async def test_swagger_ui_reads_the_services_own_openapi_document_and_no_validator(
    client: httpx.AsyncClient,
) -> None:
    html, _ = await references(client, "/docs")

    assert "url: '/openapi.json'" in html, html
    assert '"validatorUrl": null' in html, html
    assert (await client.get("/openapi.json")).status_code == 200


async def test_redoc_reads_the_services_own_openapi_document(client: httpx.AsyncClient) -> None:
    html, _ = await references(client, "/redoc")

    assert 'spec-url="/openapi.json"' in html, html


async def test_docs_pages_are_not_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]


async def test_unknown_asset_is_the_404_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/assets/no-such-file.js")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_the_examples_of_the_models_operations_work_as_sent(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """ "Try it out" in `/docs` prefills a model operation with the document's examples: the
    path's (`runflow/echo`) and the body's. Sent as they are, they succeed."""
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    tried = []
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/models/{owner}/{slug}"):
            continue
        for method, operation in operations.items():
            for parameter in operation["parameters"]:
                if parameter["in"] == "path":
                    (example,) = parameter["examples"].values()
                    path = path.replace(f"{{{parameter['name']}}}", example["value"])
            body = None
            if "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                body = schemas[ref.rsplit("/", 1)[1]]["examples"][0]
            response = await client.request(method, path, json=body, headers=auth)
            assert response.status_code in (200, 201), (method, path, response.text)
            tried.append(operation["operationId"])
    assert set(tried) == {
        "getModel",
        "createBatch",
        "estimateBatch",
        "createRun",
        "estimateRun",
    }
