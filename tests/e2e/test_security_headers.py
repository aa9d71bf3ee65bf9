"""Issue 27.7 in the browser: the local server sends the SPA's Content-Security-Policy (the same as CloudFront's),
the back office works under it (every e2e test runs under it: a CSP violation is a console error, which fails
the test), and the browser does enforce it: an injected inline script does not run."""
from playwright.sync_api import Page, expect

from chalicelib.api.security_headers import API_HEADERS, SPA_HEADERS
from tests.e2e.conftest import Api, login_ui


def test_the_spa_is_served_and_works_under_its_csp(page: Page, api: Api):
    response = page.goto("/")
    for name, value in SPA_HEADERS.items():
        assert response.headers[name.lower()] == value, name
    owner = api.signup("CSP cafe")
    login_ui(page, owner["email"])
    page.get_by_test_id("nav-stores").click()
    page.get_by_test_id("store-name-input").fill("Main Street")
    page.get_by_test_id("save-store").click()
    expect(page.get_by_test_id("store-row")).to_have_count(2)  # with the first store, made at sign-up
    api_answer = page.request.get("/v1/stores", headers={"Authorization": f"Bearer {owner['token']}"})
    for name, value in API_HEADERS.items():
        assert api_answer.headers[name.lower()] == value, name


def test_the_browser_refuses_an_injected_inline_script(browser, server):
    context = browser.new_context(base_url=server)
    try:
        page = context.new_page()
        violations = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto("/")
        ran = page.evaluate("""() => {
            const script = document.createElement('script');
            script.textContent = 'window.__injected = true';
            document.head.appendChild(script);
            return window.__injected === true;
        }""")
        assert ran is False
        page.wait_for_timeout(200)
        assert violations, "the browser reported the refused inline script"
    finally:
        context.close()
