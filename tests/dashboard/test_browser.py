"""The dashboard in a real browser: Debian's chromium, driven by Playwright, against a real
`runflow serve`. Each step saves a screenshot under the test's output folder."""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from standardwebhooks import Webhook

from tests.callbacks.receiver import Receiver
from tests.media.helpers import noise_png, png
from tests.served import BOOTSTRAP_KEY, Server, running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RUNFLOW = Path(sys.executable).parent / "runflow"
WAIT_MS = 90_000  # generous: a loaded 2-core machine renders and encodes slowly


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory, callback_allow_cidrs="127.0.0.0/8") as running:
        yield running


def _in_a_thread(step: Any) -> None:
    """Playwright's sync API keeps an event loop running on this thread: run elsewhere."""
    worker = threading.Thread(target=lambda: asyncio.run(step()))
    worker.start()
    worker.join()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiving = Receiver()
    _in_a_thread(receiving.start)
    yield receiving
    _in_a_thread(receiving.stop)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard-screenshots")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)  # waits, not timings: only a stuck page fails
    expect.set_options(timeout=WAIT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def _api(server: Server, key: str = BOOTSTRAP_KEY) -> httpx.Client:
    return server.client(Authorization=f"Bearer {key}")


def _sign_in(page: Page, server: Server, key: str = BOOTSTRAP_KEY) -> None:
    page.goto(f"{server.base_url}/dashboard/sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/batches$"))


def _viewer_key(server: Server) -> str:
    with _api(server) as api:
        org = api.get("/v1/account").json()["org"]["slug"]
    created = subprocess.run(
        [
            str(RUNFLOW),
            "keys",
            "create",
            "--org",
            org,
            "--email",
            "viewer@x.test",
            "--role",
            "viewer",
        ],
        env={"RUNFLOW_DATA_DIR": str(server.data_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip()


def test_a_signed_out_browser_is_sent_to_sign_in(page: Page, server: Server, shots: Path) -> None:
    page.goto(f"{server.base_url}/dashboard/batches")
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in"))
    page.get_by_label("API key").fill("rf_wrong_key_000000000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The API key is not valid.")
    page.screenshot(path=shots / "sign-in-refused.png", full_page=True)


def test_run_txt2img_from_its_form_as_a_batch_of_four(
    page: Page, server: Server, shots: Path
) -> None:
    _sign_in(page, server)
    page.goto(f"{server.base_url}/dashboard/models/runflow/txt2img")
    page.get_by_role("textbox", name="Prompt", exact=True).fill("a lighthouse at dusk")
    page.get_by_label("Width").fill("64")
    page.get_by_label("Height").fill("64")
    page.get_by_label("Steps").fill("2")
    page.get_by_label("Items in a batch").fill("4")
    page.screenshot(path=shots / "model-form.png", full_page=True)
    page.get_by_role("button", name="Run as a batch").click()
    expect(page).to_have_url(re.compile(r"/dashboard/batches/[0-9a-f-]+$"))
    page.evaluate("window.notReloaded = true")

    expect(page.locator("#progress .progress-text")).to_contain_text(
        "4 / 4 · 100%", timeout=WAIT_MS
    )
    assert page.evaluate("window.notReloaded === true")  # live, not by reloading
    thumbnails_decoded = (
        "() => { const all = [...document.querySelectorAll('#items img.thumb')];"
        " return all.length === 4 && all.every(i => i.complete && i.naturalWidth > 0); }"
    )
    page.wait_for_function(thumbnails_decoded, timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded === true")
    assert page.locator("time").first.text_content() != page.locator("time").first.get_attribute(
        "datetime"
    )
    page.screenshot(path=shots / "batch-succeeded.png", full_page=True)

    page.get_by_role("link", name="Open run").first.click()
    expect(page.get_by_role("heading", name="Node runs")).to_be_visible()
    output = page.locator(".outputs.large img").first
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=output.element_handle())
    page.screenshot(path=shots / "run.png", full_page=True)


def test_an_img2video_output_plays(page: Page, server: Server, shots: Path) -> None:
    with _api(server) as api:
        image = api.post("/v1/media", files={"file": ("in.png", png(96, 96), "image/png")}).json()
        batch = api.post(
            "/v1/models/runflow/img2video/batches",
            json={"input": [{"image": image["id"], "duration_s": 1, "fps": 6}]},
        ).json()
    _sign_in(page, server)
    page.goto(f"{server.base_url}/dashboard/batches/{batch['id']}")
    expect(page.locator("#progress .progress-text")).to_contain_text("1 / 1", timeout=WAIT_MS)
    video = page.locator("#items video").first
    expect(video).to_be_attached(timeout=WAIT_MS)
    page.wait_for_function(
        "v => v.readyState >= 2 && v.duration > 0", arg=video.element_handle(), timeout=WAIT_MS
    )
    page.screenshot(path=shots / "batch-video.png", full_page=True)


def test_an_animated_webp_output_is_shown_as_an_image(
    page: Page, server: Server, shots: Path
) -> None:
    """img2video's `video` output may be an animated WebP, which no <video> plays."""
    with _api(server) as api:
        image = api.post("/v1/media", files={"file": ("in.png", png(96, 96), "image/png")}).json()
        batch = api.post(
            "/v1/models/runflow/img2video/batches",
            json={
                "input": [
                    {"image": image["id"], "duration_s": 1, "fps": 6, "output_format": "webp"}
                ]
            },
        ).json()
    _sign_in(page, server)
    favicon = page.request.get(f"{server.base_url}/dashboard/static/favicon.svg")
    assert favicon.status == 200
    page.goto(f"{server.base_url}/dashboard/batches/{batch['id']}")
    expect(page.locator("#progress .progress-text")).to_contain_text("1 / 1", timeout=WAIT_MS)
    shown = page.locator("#items img.thumb").first
    expect(shown).to_be_attached(timeout=WAIT_MS)
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=shown.element_handle())
    expect(page.locator("#items video")).to_have_count(0)
    page.screenshot(path=shots / "batch-webp.png", full_page=True)


def test_redeliver_a_callback_and_see_the_new_attempt(
    page: Page, server: Server, receiver: Receiver, shots: Path
) -> None:
    with _api(server) as api:
        batch = api.post(
            "/v1/models/runflow/echo/batches",
            json={"input": [{"message": "hook"}], "callback_url": receiver.url("/browser")},
        ).json()
    _sign_in(page, server)
    page.goto(f"{server.base_url}/dashboard/batches/{batch['id']}")
    expect(page.locator("#progress")).to_contain_text("succeeded", timeout=WAIT_MS)
    for _ in range(120):  # the first delivery is sent once the batch has ended
        page.reload()
        if page.locator("#callbacks .attempt").count() >= 1:
            break
        page.wait_for_timeout(500)
    before = page.locator("#callbacks .attempt").count()
    assert before >= 1

    page.get_by_role("button", name="Redeliver callback").click()
    expect(page.locator("#callbacks .delivery")).to_have_count(2, timeout=WAIT_MS)
    for _ in range(120):
        if page.locator("#callbacks .attempt").count() > before:
            break
        page.wait_for_timeout(500)
        page.reload()
    assert page.locator("#callbacks .attempt").count() > before
    expect(page.locator("#callbacks .tag", has_text="manual")).to_be_visible()
    page.screenshot(path=shots / "callbacks.png", full_page=True)


def test_add_an_endpoint_reveal_its_secret_and_verify_a_test_event(
    page: Page, server: Server, receiver: Receiver, shots: Path
) -> None:
    """The customer's first webhook, all in the browser; the receiver checks the signature
    with the secret the page revealed, as their code would."""
    path = f"/endpoint-{uuid.uuid4().hex[:8]}"
    url = receiver.url(path)
    _sign_in(page, server)
    page.goto(f"{server.base_url}/dashboard/webhooks")
    page.get_by_label("URL").fill(url)
    page.get_by_label("Description").fill("From the browser")
    page.get_by_label("run.failed").check()
    page.screenshot(path=shots / "webhooks-add.png", full_page=True)
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("status")).to_contain_text("Endpoint created")
    endpoint_id = page.url.rsplit("/", 1)[1].split("?")[0]
    with _api(server) as api:
        endpoint = api.get(f"/v1/webhooks/endpoints/{endpoint_id}").json()
    assert (endpoint["url"], endpoint["event_types"]) == (url, ["run.failed"])
    page.get_by_role("button", name="Reveal secret").click()
    secret = page.locator("#current-secret").inner_text()
    assert secret.startswith("whsec_")
    page.screenshot(path=shots / "endpoint.png", full_page=True)

    page.get_by_role("button", name="Send test event").click()
    expect(page).to_have_url(re.compile(r"/dashboard/webhooks/deliveries/"))
    for _ in range(120):  # the sender picks it up in the background
        if page.locator(".attempt").count() >= 1:
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(".attempt").first).to_contain_text("HTTP 200")
    received = [request for request in receiver.received if request.path == path]
    assert len(received) == 1
    event = Webhook(secret).verify(received[0].body, received[0].headers)
    assert event["type"] == "webhook.test"
    page.screenshot(path=shots / "endpoint-test-delivery.png", full_page=True)


def test_evaluate_an_image_and_watch_the_verdict_arrive(
    page: Page, server: Server, shots: Path, tmp_path: Path
) -> None:
    image = tmp_path / "noise.png"
    image.write_bytes(noise_png(256, 256))
    _sign_in(page, server)
    page.goto(f"{server.base_url}/dashboard/evaluations")
    page.get_by_label("Image", exact=True).set_input_files(image)
    page.get_by_label("Prompt").fill("static on a screen")
    page.get_by_role("button", name="Evaluate").click()
    expect(page).to_have_url(re.compile(r"/dashboard/evaluations/[0-9a-f-]{36}$"))
    # The page polls its verdict until the evaluation ends; no reload here.
    expect(page.locator("#verdict")).to_contain_text("did not pass", timeout=WAIT_MS)
    expect(page.locator("#verdict .tag", has_text="NOISY")).to_be_visible()
    expect(page.locator("img.evaluated")).to_be_visible()
    page.screenshot(path=shots / "evaluation.png", full_page=True)


def test_cancel_a_running_batch(page: Page, server: Server, shots: Path) -> None:
    with _api(server) as api:
        batch = api.post(
            "/v1/models/runflow/echo/batches",
            json={"input": [{"message": "slow", "delay_ms": 120_000} for _ in range(3)]},
        ).json()
    _sign_in(page, server)
    page.goto(f"{server.base_url}/dashboard/batches/{batch['id']}")
    page.get_by_role("button", name="Cancel batch").click()
    expect(page.locator("#progress")).to_contain_text("cancelled", timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Cancel batch")).to_have_count(0, timeout=WAIT_MS)
    page.screenshot(path=shots / "batch-cancelled.png", full_page=True)


def test_a_viewer_sees_no_write_button(page: Page, server: Server, shots: Path) -> None:
    with _api(server) as api:
        batch = api.post(
            "/v1/models/runflow/echo/batches",
            json={"input": [{"message": "slow", "delay_ms": 120_000}]},
        ).json()
    _sign_in(page, server, _viewer_key(server))
    page.goto(f"{server.base_url}/dashboard/batches/{batch['id']}")
    expect(page.locator("#progress")).to_be_visible()
    assert (
        page.get_by_role("button").filter(has_text=re.compile("Cancel|Retry|Redeliver")).count()
        == 0
    )
    page.goto(f"{server.base_url}/dashboard/models/runflow/echo")
    assert page.get_by_role("button", name="Run once").count() == 0
    page.goto(f"{server.base_url}/dashboard/media")
    assert page.get_by_role("button", name="Upload", exact=True).count() == 0
    page.screenshot(path=shots / "viewer.png", full_page=True)
    with _api(server) as api:
        api.post(f"/v1/batches/{batch['id']}/cancel")


def test_media_uploads_by_picker_and_by_drag_and_drop(
    page: Page, server: Server, shots: Path, tmp_path: Path
) -> None:
    picked = tmp_path / "picked.png"
    picked.write_bytes(png(40, 30))
    _sign_in(page, server)
    page.goto(f"{server.base_url}/dashboard/media?folder=browser")
    page.get_by_label("Upload images or videos to browser").set_input_files(picked)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator(".grid img.thumb")).to_have_count(1)

    dropped = base64.b64encode(png(50, 20)).decode()
    page.evaluate(DROP_FILE, dropped)  # what a browser does when a file is dropped on the form
    expect(page.locator(".grid img.thumb")).to_have_count(2, timeout=WAIT_MS)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.grid img.thumb')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path=shots / "media-uploaded.png", full_page=True)

    not_image = tmp_path / "notes.txt"
    not_image.write_text("not an image")
    page.get_by_label("Upload images or videos to browser").set_input_files(not_image)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("notes.txt:")
    expect(page.locator(".grid img.thumb")).to_have_count(2)


DROP_FILE = """(encoded) => {
    const bytes = Uint8Array.from(atob(encoded), c => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
    const zone = document.querySelector("form[data-dropzone]");
    const drop = new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true});
    zone.dispatchEvent(drop);
}"""


@pytest.mark.parametrize(
    "path", ["batches", "models", "media", "evaluations", "webhooks", "credits"]
)
def test_every_section_at_phone_and_desktop_widths(
    page: Page, server: Server, shots: Path, path: str
) -> None:
    _sign_in(page, server)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(f"{server.base_url}/dashboard/{path}")
        expect(page.locator("h1")).to_be_visible()
        overflow: Any = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{path} is wider than {width}px"
        page.screenshot(path=shots / f"{path}-{width}.png", full_page=True)
    page.keyboard.press("Tab")  # the first stop is the skip link, then the navigation
    assert page.evaluate("document.activeElement.className") == "skip"
