"""Stripe.js in a real Chromium: the card form lives in the stand-in's iframe, never in the shop's page."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe
from playwright.sync_api import expect, sync_playwright

from .conftest import PUBLISHABLE_KEY, Standin

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")

# Generous: a busy machine can be slow; a passing run takes about a second for each step.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)

# The shop's checkout page, as the frontend would write it: Stripe.js from the stand-in, a Payment
# Element, elements.submit() then stripe.confirmPayment({redirect: 'if_required'}). It is served under
# a CSP as strict as the app's (no inline script or style), so Stripe.js must cope with that too.
SHOP_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Checkout</title>
  <script src="{standin}/v3/"></script>
  <script src="/checkout.js" defer></script>
</head>
<body data-publishable-key="{publishable_key}" data-client-secret="{client_secret}">
  <form id="checkout">
    <div id="payment-element"></div>
    <button id="pay" type="submit">Pay</button>
    <output id="result"></output>
  </form>
</body>
</html>"""

SHOP_SCRIPT = """
window.sawCardInput = false;
new MutationObserver(() => {
  if (document.querySelector("input, select, textarea")) window.sawCardInput = true;
}).observe(document, { subtree: true, childList: true, attributes: true });
window.elementEvents = [];
const { publishableKey, clientSecret } = document.body.dataset;
const stripe = Stripe(publishableKey);
const elements = stripe.elements({ clientSecret, appearance: { theme: "stripe" } });
const paymentElement = elements.create("payment");
paymentElement.on("ready", () => {
  window.elementEvents.push("ready");
  document.body.dataset.ready = "yes";
});
paymentElement.on("change", (event) => window.elementEvents.push("change:" + event.complete));
paymentElement.mount("#payment-element");
const result = document.getElementById("result");
document.getElementById("checkout").addEventListener("submit", async (event) => {
  event.preventDefault();
  result.textContent = "";
  const submitted = await elements.submit();
  if (submitted.error) {
    result.textContent = "invalid:" + submitted.error.code;
    return;
  }
  const { error, paymentIntent } = await stripe.confirmPayment({
    elements, confirmParams: { return_url: location.href }, redirect: "if_required",
  });
  if (error) {
    const code = error.decline_code || error.code;
    result.textContent = "declined:" + error.type + ":" + code + ":" + error.message;
  } else {
    const fresh = await stripe.retrievePaymentIntent(clientSecret);
    result.textContent = "paid:" + paymentIntent.status + ":" + fresh.paymentIntent.status;
  }
});
"""


def shop_policy(standin: str) -> str:
    """The same shape as the app's Content-Security-Policy for its own pages."""
    return (
        f"default-src 'self'; script-src 'self' {standin}; frame-src {standin}; connect-src 'self' {standin}; "
        "img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


class ShopServer:
    """Serves the shop's page on its own origin (another port than the stand-in's)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, str]] = {}  # path -> (content type, body)
        self.policy = "default-src 'self'"
        self.requests: list[str] = []
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                shop.requests.append(self.path)
                content_type, text = shop.pages.get(self.path.split("?")[0], ("text/plain", ""))
                body = text.encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Security-Policy", shop.policy)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                shop.requests.append("POST " + self.path)
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def shop() -> Iterator[ShopServer]:
    server = ShopServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_card_form_lives_in_the_standins_iframe_and_pays(
    browser: Any, shop: ShopServer, standin: Standin, client: stripe.StripeClient
) -> None:
    intent = client.v1.payment_intents.create(
        params={"amount": 3900, "currency": "eur", "metadata": {"case": "browser"}}
    )
    shop.policy = shop_policy(standin.url)
    page_html = SHOP_PAGE.format(
        standin=standin.url, publishable_key=PUBLISHABLE_KEY, client_secret=intent.client_secret
    )
    shop.pages["/checkout"] = ("text/html; charset=utf-8", page_html)
    shop.pages["/checkout.js"] = ("text/javascript; charset=utf-8", SHOP_SCRIPT)
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []

    def note_problem(message: Any) -> None:
        # Script errors and CSP violations count; a 402 answer or a missing favicon does not.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", note_problem)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{shop.origin}/checkout")
        # (waits use selectors: wait_for_function would need 'unsafe-eval', which the page's CSP refuses)
        page.wait_for_selector("body[data-ready=yes]", state="attached")
        result = page.locator("#result")
        element = page.locator("#payment-element .StripeElement")

        iframe = page.locator("#payment-element iframe")
        assert iframe.get_attribute("src").startswith(f"{standin.url}/elements/payment-frame?")
        card_form = page.frame_locator("#payment-element iframe")
        number = card_form.get_by_label("Card number")
        expiry = card_form.get_by_label("Expiration date")
        cvc = card_form.get_by_label("Security code")

        # Incomplete: elements.submit() refuses before anything is sent.
        number.press_sequentially("4242")
        page.click("#pay")
        expect(result).to_have_text("invalid:incomplete_number")

        # A declined card: the error comes back through confirmPayment; the payment can be retried.
        number.fill("")
        number.press_sequentially("4000 0000 0000 0002")
        expiry.press_sequentially("1234")
        assert expiry.input_value() == "12 / 34"
        cvc.press_sequentially("123")
        expect(element).to_have_class(re.compile("StripeElement--complete"))
        page.click("#pay")
        expect(result).to_have_text("declined:card_error:generic_decline:Your card was declined.")

        # The keyboard alone is enough: Tab walks the labelled fields in order, and typing a complete
        # field moves on to the next one.
        for field in (number, expiry, cvc):
            field.fill("")
        number.focus()
        page.keyboard.press("Tab")
        expect(expiry).to_be_focused()
        page.keyboard.press("Tab")
        expect(cvc).to_be_focused()
        number.focus()
        page.keyboard.type("4242424242424242")
        expect(expiry).to_be_focused()
        page.keyboard.type("1234")
        expect(cvc).to_be_focused()
        page.keyboard.type("123")
        expect(element).to_have_class(re.compile("StripeElement--complete"))
        assert "change:true" in page.evaluate("window.elementEvents")
        page.click("#pay")
        expect(result).to_have_text("paid:succeeded:succeeded")

        assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
        # The shop's page never held a card input, nor any card number.
        assert page.evaluate("window.sawCardInput") is False
        assert page.locator("input").count() == 0
        assert "4242" not in page.content() and "0002" not in page.content()
        # The card went nowhere near the shop's server.
        assert [path for path in shop.requests if path != "/favicon.ico"] == ["/checkout", "/checkout.js"]
        assert problems == []  # no script errors, no CSP violations
    finally:
        page.close()
