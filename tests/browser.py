"""Playwright driving Debian's chromium (/usr/bin/chromium) for the pages that matter.

Use the `page` fixture together with pytest-django's `live_server`. Tests that use it are
marked `browser`; they are skipped with a clear reason only where chromium is not installed
(CI installs it).

Every test that uses `page` also checks the Content-Security-Policy: a page of the portal
served without the header, or anything the browser refused under it (an inline script, a
style attribute, a connection elsewhere), fails the test at teardown, with what was refused.
Give `page.wait_for_function` a function (`"() => ..."`), not a bare expression: Playwright
runs a bare expression through eval(), which the policy refuses like any other eval.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-results"
# No GPU here: WebGL 2 (the OME-Zarr viewer) runs on SwiftShader, the CPU renderer Debian's
# chromium ships, through ANGLE (measured: renderer "ANGLE (Google, Vulkan 1.3.0 (SwiftShader
# Device (Subzero)))"). --disable-gpu only turns hardware acceleration off. Chromium is
# retiring its automatic fall-back to SwiftShader for WebGL; --enable-unsafe-swiftshader keeps
# it (Playwright passes it too; named here so the fixture does not depend on that).
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium is not installed at {CHROMIUM}; .ci/run installs it")
        pytest.skip(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API refuses to start inside a running asyncio loop; Django's
    # async-unsafe checks then need this switch for the live_server's ORM calls in tests.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


# Chromium reports each refusal on the console ("Refused to ... because it violates the
# following Content Security Policy directive ..."); the DOM event is caught too, in case.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile || location.href}:${event.lineNumber}`;
  console.error(`Content Security Policy violation: ${event.violatedDirective} refused `
    + `${event.blockedURI || "inline"} at ${where}`);
});
"""


class CspWatch:
    """What the browser refused under the CSP, and the portal's pages served without one."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.unprotected: list[str] = []

    def console(self, message: object) -> None:
        text = str(message.text)  # type: ignore[attr-defined]
        if "Content Security Policy" in text:
            self.violations.append(text)

    def response(self, response: object) -> None:
        request = response.request  # type: ignore[attr-defined]
        url = str(response.url)  # type: ignore[attr-defined]
        local = url.startswith(("http://localhost", "http://127.0.0.1"))
        document = request.resource_type == "document" and response.status < 300  # type: ignore[attr-defined]
        if local and document and "content-security-policy" not in response.headers:  # type: ignore[attr-defined]
            self.unprotected.append(url)

    def problems(self) -> list[str]:
        return [*self.violations, *(f"no CSP header on {url}" for url in self.unprotected)]


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_VIOLATIONS)
    watch = CspWatch()
    opened = context.new_page()
    opened.on("console", watch.console)
    opened.on("response", watch.response)
    opened.csp_watch = watch
    yield opened
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    if watch.problems():
        pytest.fail("Content-Security-Policy problems:\n" + "\n".join(watch.problems()))


def login(page: object, live_server_url: str, email: str, password: str) -> None:
    page.goto(f"{live_server_url}/accounts/login/")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign In").click()  # type: ignore[attr-defined]
