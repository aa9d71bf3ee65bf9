"""Issue 25, the back office's own parts, in Polish: wording (8), local time and one amount format (3), a deletion
that warns before it starts (5), the phone (6), the keyboard (7), small things (9), and an axe-core scan of every
screen at 1366x768 and 390x844."""
import contextlib
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import ARTIFACTS, PASSWORD, Api, login_ui, receipt

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
NBSP = "\u00a0"


@contextlib.contextmanager
def polish(browser, server, viewport=DESKTOP, name="page"):
    """A Polish browser in Warsaw (pl-PL, Europe/Warsaw); fails on any JavaScript error in the page."""
    context = browser.new_context(viewport=viewport, locale="pl-PL", timezone_id="Europe/Warsaw", base_url=server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text
            else None)
    try:
        yield page
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"issue25-{name}.png"), full_page=True)
        raise
    finally:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def signup_pl(api: Api, business: str = "Kawiarnia Zosia") -> dict:
    email = f"wlasciciel-{uuid.uuid4().hex[:8]}@example.com"
    status, body = api.call("POST", "/v1/signup", {"business_name": business, "email": email, "password": PASSWORD,
                                                   "currency": "PLN"})
    assert status == 201, body
    return {"email": email, "token": body["token"]}


def shop(api: Api, owner: dict) -> dict:
    """Two stores; "Kasa główna" activated with an open shift, 2 of its 5 receipts unsynced, amounts of four and
    six digits; "Kasa przy oknie" deactivated with its shift left open; "Tablet" never activated."""
    token = owner["token"]
    old_town = api.create_store(token, "Stare Miasto")
    harbour = api.create_store(token, "Przystań")
    ala = api.ok("POST", "/v1/employees", {"name": "Ala Nowak", "role": "CASHIER", "pin": "2468",
                                            "store_ids": [old_town["id"], harbour["id"]]}, token=token, status=201)
    main = api.create_device(token, "Kasa główna", old_town["id"])
    tablet = api.create_device(token, "Tablet", harbour["id"])
    api.create_device(token, "Kasa przy oknie", harbour["id"])
    activation = api.activate(owner["email"], PASSWORD, "Kasa główna")
    number = activation["device"]["number"]
    shift = str(uuid.uuid4())
    api.sync(activation["device_token"], {
        "state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": True},
        "shifts": [{"id": shift, "opened_at": "2026-11-24T08:00:00Z", "closed_at": None,
                    "opened_by_employee": ala["id"], "starting_cash": 10000}],
        "receipts": [receipt(number, 1, 123456, ala["id"], shift, "Ekspres", "2026-11-24T09:00:00Z"),
                     receipt(number, 2, 12345678, ala["id"], shift, "Kawa", "2026-11-24T09:30:00Z"),
                     receipt(number, 3, 700, ala["id"], shift, "Herbata", "2026-11-24T10:00:00Z")]})
    window = api.activate(owner["email"], PASSWORD, "Kasa przy oknie")
    api.sync(window["device_token"], {
        "state": {"last_receipt_number": 1, "open_tickets": 0, "shift_open": True},
        "shifts": [{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T07:00:00Z", "closed_at": None,
                    "opened_by_employee": ala["id"], "starting_cash": 5000}],
        "receipts": [receipt(window["device"]["number"], 1, 990, ala["id"], None, "Herbata", "2026-11-24T07:30:00Z")]})
    api.ok("POST", f"/v1/pos_devices/{window['device']['id']}/deactivate", token=token)
    api.run_audit(token)
    return {"main": main, "tablet": tablet, "window": window["device"], "activation": activation,
            "old_town": old_town, "harbour": harbour}


def body_text(page: Page) -> str:
    page.wait_for_load_state("networkidle")
    return page.evaluate("document.body.innerText")


# ---------------------------------------------------------------- 8. Polish wording


def test_polish_wording(browser, server, api: Api):
    owner = signup_pl(api, "Kowalski Sp. z o.o.")
    ids = shop(api, owner)
    token = owner["token"]
    api.ok("PATCH", f"/v1/pos_devices/{ids['tablet']['id']}", {"store_id": ids["old_town"]["id"]}, token=token)
    with polish(browser, server, name="wording") as page:
        login_ui(page, owner["email"])
        # A name ending in a full stop takes the sentence's own: "Witaj, Kowalski Sp. z o.o." (not "o.o..").
        expect(page.get_by_test_id("toast").first).to_have_text("Witaj, Kowalski Sp. z o.o.")
        expect(page.locator(".brand")).to_have_text("Panel administracyjny")
        tablet = page.locator(f'[data-pos-id="{ids["tablet"]["id"]}"]')
        expect(tablet.get_by_test_id("status-badge")).to_have_text("Nieaktywowany")
        main = page.locator(f'[data-pos-id="{ids["main"]["id"]}"]')
        expect(main.get_by_test_id("online-state")).to_have_text("W sieci")
        text = body_text(page)
        assert "za pomocą e-maila i hasła" in text, text
        for wrong in ("Nie aktywowany", "Panel Administracyjny", "Panelu Administracyjnego", "E-mail i hasła",
                      "Online", "Offline", ".."):
            assert wrong not in text, (wrong, text)

        page.get_by_test_id("add-pos").first.click()
        expect(page.get_by_test_id("pos-store-select").locator("option").first).to_have_text("Wybierz sklep")
        page.get_by_test_id("save-pos").click()
        expect(page.get_by_test_id("error-store_id")).to_have_text("Wybierz sklep, w którym POS będzie czynny.")

        # The activity log: the move in Polish, not "Pos device moved".
        page.get_by_test_id("nav-events").click()
        moved = page.locator('[data-testid="event-row"][data-type="pos_device.moved"]')
        expect(moved.get_by_test_id("event-type")).to_have_text("Przeniesiono POS do innego sklepu")
        assert "Pos device" not in body_text(page)

        # Deactivate with 500 hours: the form's own Polish message (novalidate), not the browser's bubble,
        # and it goes away once the number is fixed.
        page.goto(f"/#/pos/{ids['main']['id']}")
        page.get_by_test_id("deactivate-button").click()
        dialog = page.get_by_test_id("deactivate-dialog")
        dialog.get_by_test_id("final-sync-hours").fill("500")
        dialog.get_by_test_id("confirm-deactivate").click()
        error = dialog.get_by_test_id("error-final_sync_hours")
        expect(error).to_have_text("Wpisz pełną liczbę godzin od 1 do 168.")
        expect(dialog.get_by_test_id("final-sync-hours")).to_have_attribute("aria-invalid", "true")
        assert page.evaluate("document.querySelector('[data-testid=final-sync-hours]').validationMessage") == "" or \
            dialog.locator("form[novalidate]").count() == 1
        expect(dialog.locator("form[novalidate]")).to_have_count(1)
        expect(dialog.get_by_test_id("error-alert")).to_have_count(0)  # no "Coś poszło nie tak" on top of it
        dialog.get_by_test_id("final-sync-hours").fill("48")
        expect(error).to_be_hidden()
        dialog.get_by_test_id("confirm-deactivate").click()
        expect(page.get_by_test_id("final-sync-result")).to_be_visible()


# ---------------------------------------------------------------- 3. local time, one amount format


def test_local_time_and_one_amount_format(browser, server, api: Api):
    owner = signup_pl(api)
    shop(api, owner)
    with polish(browser, server, name="local-time") as page:
        login_ui(page, owner["email"])
        page.get_by_test_id("nav-receipts").click()
        rows = page.get_by_test_id("receipt-row")
        expect(rows).to_have_count(4)
        totals = [t.replace(NBSP, " ").replace("\u202f", " ") for t in page.get_by_test_id("receipt-total").all_inner_texts()]
        # Four digits are grouped like six: "1 234,56 zł" beside "123 456,78 zł", never "1234,56 zł".
        assert "1 234,56 zł" in totals and "123 456,78 zł" in totals and "7,00 zł" in totals, totals
        first = page.locator('[data-receipt-number$="-1"]').filter(has_text="1 234").first
        # 09:00 UTC is 10:00 in Warsaw; dd.mm.rrrr; the tooltip shows the same time and names the zone.
        cell_time = first.locator("time")
        expect(cell_time).to_have_text("24.11.2026, 10:00")
        expect(cell_time).to_have_attribute("title", "24.11.2026, 10:00:00 (Europe/Warsaw)")

        # The audit's sentence said "2026-11-24 07:00 UTC" beside a table in local time: now both are local.
        page.get_by_test_id("nav-audit").click()
        audit = page.get_by_test_id("audit-page")
        expect(audit).to_contain_text("Zmiana otwarta 24.11.2026, 08:00 w POS „Kasa przy oknie”")
        assert "UTC" not in body_text(page)

        # The shifts' money and times the same way.
        page.get_by_test_id("nav-shifts").click()
        expect(page.get_by_test_id("shifts-page")).to_contain_text("24.11.2026, 09:00")
        text = body_text(page).replace(NBSP, " ")
        assert "100,00 zł" in text and "UTC" not in text, text

        # The activity log: every time in a sentence is local, none in UTC.
        page.get_by_test_id("nav-events").click()
        expect(page.get_by_test_id("event-row").first).to_be_visible()
        assert not re.search(r"\d{4}-\d{2}-\d{2}|UTC", body_text(page))
        stamps = page.locator("time").evaluate_all("els => els.map((e) => e.textContent)")
        assert stamps and all(re.fullmatch(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}", s) for s in stamps), stamps


# ---------------------------------------------------------------- 5. deletion warns before it starts


def test_deletion_warns_before_it_starts_and_the_card_agrees(browser, server, api: Api):
    owner = signup_pl(api)
    ids = shop(api, owner)
    with polish(browser, server, name="deletion-warns") as page:
        login_ui(page, owner["email"])
        page.goto(f"/#/pos/{ids['main']['id']}")
        page.get_by_test_id("delete-button").click()
        dialog = page.get_by_test_id("delete-dialog")
        blockers = dialog.get_by_test_id("delete-blockers")
        expect(blockers.get_by_test_id("delete-blocker-shift")).to_have_text(
            "zmiana jest otwarta: zamknij zmianę w aplikacji POS;")
        expect(blockers.get_by_test_id("delete-blocker-unsynced")).to_have_text(
            "2 paragony nie są zsynchronizowane: podłącz urządzenie do Internetu, aby je przesłało.")
        # This server does not wait for a late sync (POS_SYNC_WAIT_SECONDS=0), so the question promises no wait;
        # a server that waits: tests/e2e/test_spa_structure.py.
        expect(blockers.get_by_test_id("delete-wait")).to_have_count(0)
        expect(blockers).to_contain_text("Zrób to przed kliknięciem „Usuń POS”.")
        expect(blockers).to_contain_text("przez kilka minut czeka na spóźnioną synchronizację")
        expect(dialog.get_by_test_id("confirm-delete")).to_have_text("Usuń POS")
        dialog.get_by_test_id("cancel-dialog").click()

        # The card was read with the shift open; the till then closes it and syncs everything. Once the
        # deletion runs its checks, the card re-reads the POS: never "Otwarta zmiana: Tak" under a step "Gotowe".
        page.goto(f"/#/pos/{ids['main']['id']}")
        expect(page.get_by_test_id("shift-open")).to_have_text("Tak")
        activation = ids["activation"]
        number = activation["device"]["number"]
        api.sync(activation["device_token"], {
            "state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": False},
            "receipts": [receipt(number, s, 100 * s) for s in (4, 5)]})
        page.get_by_test_id("delete-button").click()
        expect(page.get_by_test_id("delete-blockers")).to_be_visible()  # what the card knew when opened
        page.get_by_test_id("confirm-delete").click()
        expect(page.get_by_test_id("deletion-progress")).to_be_visible()
        expect(page.get_by_test_id("shift-open")).to_have_text("Nie")
        expect(page.get_by_test_id("unsynced-receipts")).to_have_text("0")


# ---------------------------------------------------------------- 6. phone


def test_phone_filters_header_labels_and_dialogs(browser, server, api: Api):
    owner = signup_pl(api)
    ids = shop(api, owner)
    with polish(browser, server, viewport=PHONE, name="phone") as page:
        login_ui(page, owner["email"])
        # The title and the menu fit at 390 px: nothing sticks out sideways.
        for selector in (".brand", ".app-header__tools", '[data-testid="logout"]', ".app-nav"):
            box = page.locator(selector).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (selector, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        title = page.locator(".brand span")
        expect(title).to_have_text("Panel administracyjny")
        assert title.evaluate("el => el.scrollWidth <= el.clientWidth"), "the title is cut off"
        # The menu: a strip of tabs within the screen, the current one in view.
        current = page.locator('.app-nav [aria-current="page"]').bounding_box()
        assert current["x"] >= 0 and current["x"] + current["width"] <= 390, current
        # The logout button shows only an icon on a phone, but has a name.
        expect(page.get_by_role("button", name="Wyloguj")).to_be_visible()

        # Receipt filters behind one "Filtry" button.
        page.get_by_test_id("nav-receipts").click()
        expect(page.get_by_test_id("receipt-row")).to_have_count(4)
        toggle = page.get_by_test_id("receipt-filters-toggle")
        expect(toggle).to_have_text("Filtry")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_test_id("receipt-search")).to_be_hidden()
        expect(page.get_by_test_id("employee-filter")).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_test_id("receipt-search")).to_be_visible()
        page.get_by_test_id("payment-filter").select_option("CASH")
        expect(toggle).to_have_text("Filtry (1)")

        # Long labels ("Niezsynchronizowane paragony") wrap between words, never inside one.
        page.goto(f"/#/pos/{ids['main']['id']}")
        expect(page.get_by_test_id("pos-edit-page")).to_be_visible()
        page.get_by_test_id("nav-pos").click()
        expect(page.get_by_test_id("pos-row").first).to_be_visible()
        styles = page.evaluate("""() => [...document.querySelectorAll('.table td, .details dd, .details dt')].map((el) => {
            const own = getComputedStyle(el), label = getComputedStyle(el, '::before');
            return [own.hyphens, label.hyphens, label.overflowWrap, label.wordBreak];
        })""")
        assert styles and all(s[0] != "auto" and s[1] != "auto" and s[2] == "normal" and s[3] == "normal"
                              for s in styles), styles

        # A long dialog opens at its title (not scrolled to the button at its foot), the buttons still in reach.
        page.goto(f"/#/pos/{ids['main']['id']}")
        page.get_by_test_id("delete-button").click()
        dialog = page.get_by_test_id("delete-dialog")
        expect(dialog.locator("h2")).to_be_in_viewport()
        assert dialog.evaluate("d => d.scrollHeight > d.clientHeight"), "the dialog should be long on a phone"
        assert dialog.evaluate("d => d.scrollTop") == 0
        expect(dialog.get_by_test_id("confirm-delete")).to_be_in_viewport()


# ---------------------------------------------------------------- 7. keyboard


def test_tab_starts_at_the_skip_link_and_menu_focus_ring_is_whole(browser, server, api: Api):
    owner = signup_pl(api)
    with polish(browser, server, name="keyboard") as page:
        login_ui(page, owner["email"])
        page.reload()
        expect(page.get_by_test_id("pos-list-page")).to_be_visible()
        expect(page.get_by_test_id("loading")).to_have_count(0)
        # the page has settled: its render put the focus on the body (a reload may keep the browser's focus
        # starting point on the menu link used last)
        expect(page.locator("body")).to_have_attribute("tabindex", "-1")
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("Przejdź do treści")

        # Through the menu with the keyboard: after the next page loads, Tab starts at the skip link again,
        # not at the tab after the one just used.
        page.get_by_test_id("nav-receipts").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("receipts-page")).to_be_visible()
        expect(page.get_by_test_id("loading")).to_have_count(0)
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("Przejdź do treści")
        expect(page.locator("#route-announcer")).to_contain_text("Paragony")

        # The focus ring of a menu tab lies inside the scrolling tab strip, so nothing of it is cut off.
        page.get_by_test_id("nav-shifts").focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        ring = page.get_by_test_id("nav-shifts").evaluate("""(a) => {
            const s = getComputedStyle(a), r = a.getBoundingClientRect(), strip = a.closest('ul').getBoundingClientRect();
            const out = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth);
            return { style: s.outlineStyle, top: r.top - out, bottom: r.bottom + out, stripTop: strip.top, stripBottom: strip.bottom };
        }""")
        assert ring["style"] != "none", ring
        assert ring["top"] >= ring["stripTop"] - 0.5 and ring["bottom"] <= ring["stripBottom"] + 0.5, ring


# ---------------------------------------------------------------- 9. small things


def test_search_404_form_errors_and_employee_dialog(browser, server, api: Api):
    owner = signup_pl(api)
    shop(api, owner)
    with polish(browser, server, name="small-things") as page:
        login_ui(page, owner["email"])
        # An invalid receipt number says why, instead of leaving the previous result on screen.
        page.get_by_test_id("nav-receipts").click()
        expect(page.get_by_test_id("receipt-row")).to_have_count(4)
        page.get_by_test_id("receipt-search").fill("abc")
        expect(page.get_by_test_id("receipt-search-error")).to_have_text(
            "Numer paragonu to cyfry i myślnik, np. 2-17. Popraw numer, aby wyszukać.")
        expect(page.get_by_test_id("receipt-row")).to_have_count(0)
        expect(page.get_by_test_id("receipt-search-invalid")).to_be_visible()
        page.get_by_test_id("receipt-search").fill("")
        expect(page.get_by_test_id("receipt-row")).to_have_count(4)
        expect(page.get_by_test_id("receipt-search-error")).to_be_hidden()

        # A link to a POS that does not exist: "Nie znaleziono", no "Spróbuj ponownie".
        page.goto(f"/#/pos/{uuid.uuid4()}")
        expect(page.get_by_test_id("not-found")).to_be_visible()
        expect(page.locator("h1")).to_have_text("Nie znaleziono")
        expect(page.get_by_role("button", name="Spróbuj ponownie")).to_have_count(0)
        page.get_by_test_id("not-found-back").click()
        expect(page.get_by_test_id("pos-list-page")).to_be_visible()

        # A form's error goes away when the field is fixed.
        page.get_by_test_id("add-pos").first.click()
        page.get_by_test_id("save-pos").click()
        error = page.get_by_test_id("error-name")
        expect(error).to_have_text("To pole jest wymagane.")
        page.get_by_test_id("pos-name-input").fill("Kasa nowa")
        expect(error).to_be_hidden()
        expect(page.get_by_test_id("pos-name-input")).not_to_have_attribute("aria-invalid", "true")

        # The employee dialog fits a 1366x768 screen: its title and its Save button both visible.
        page.get_by_test_id("nav-employees").click()
        page.get_by_test_id("add-employee").click()
        dialog = page.get_by_test_id("employee-dialog")
        box = dialog.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768, box
        expect(dialog.locator("h2")).to_be_in_viewport()
        expect(page.get_by_test_id("employee-dialog-save")).to_be_in_viewport()


def test_session_expiry_says_so_and_keeps_the_open_dialogs_edits(browser, server, api: Api):
    owner = signup_pl(api)
    shop(api, owner)
    with polish(browser, server, name="session") as page:
        login_ui(page, owner["email"])
        page.get_by_test_id("nav-stores").click()
        page.get_by_test_id("store-row").filter(has_text="Przystań").get_by_test_id("edit-store").click()
        dialog = page.get_by_test_id("store-dialog")
        dialog.get_by_test_id("store-edit-name").fill("Przystań nad morzem")
        page.evaluate("""() => {
            const s = JSON.parse(localStorage.getItem('pos-backoffice.session'));
            s.token = 'expired-' + s.token;
            localStorage.setItem('pos-backoffice.session', JSON.stringify(s));
        }""")
        dialog.get_by_test_id("store-dialog-save").click()
        expect(page.get_by_test_id("toast").filter(has_text="Sesja wygasła")).to_be_visible()
        expect(page.get_by_test_id("login-form")).to_be_visible()
        page.get_by_test_id("login-email").fill(owner["email"])
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        # Back on the stores, the dialog open again with what was typed.
        dialog = page.get_by_test_id("store-dialog")
        expect(dialog.get_by_test_id("store-edit-name")).to_have_value("Przystań nad morzem")
        dialog.get_by_test_id("store-dialog-save").click()
        expect(page.get_by_test_id("store-row").filter(has_text="Przystań nad morzem")).to_have_count(1)


# ---------------------------------------------------------------- axe-core on every screen, both sizes


@pytest.mark.parametrize("size", ["1366x768", "390x844"])
def test_axe_finds_nothing_on_any_screen(browser, server, api: Api, size):
    viewport = DESKTOP if size == "1366x768" else PHONE
    owner = signup_pl(api)
    ids = shop(api, owner)
    found = []
    with polish(browser, server, viewport=viewport, name=f"axe-{size}") as page:
        page.goto("/#/login")
        expect(page.get_by_test_id("login-form")).to_be_visible()
        found += axe_violations(page, "login")
        page.goto("/#/signup")
        expect(page.get_by_test_id("signup-currency")).to_be_visible()
        found += axe_violations(page, "signup")
        login_ui(page, owner["email"])
        screens = [("/pos", "pos-list-page"), ("/pos/new", "pos-create-page"), (f"/pos/{ids['main']['id']}", "pos-edit-page"),
                   (f"/pos/{ids['tablet']['id']}", "pos-edit-page"), ("/receipts", "receipts-page"),
                   ("/shifts", "shifts-page"), ("/audit", "audit-page"), ("/events", "events-page"),
                   ("/stores", "stores-page"), ("/employees", "employees-page"), (f"/pos/{uuid.uuid4()}", "not-found")]
        for path, testid in screens:
            page.goto(f"/#{path}")
            expect(page.get_by_test_id(testid)).to_be_visible()
            expect(page.get_by_test_id("loading")).to_have_count(0)
            page.wait_for_load_state("networkidle")
            found += axe_violations(page, path)
        # Dialogs: a receipt, the deletion question, an employee.
        page.goto("/#/receipts")
        page.get_by_test_id("receipt-number").first.click()
        expect(page.get_by_test_id("receipt-dialog")).to_be_visible()
        found += axe_violations(page, "receipt dialog")
        page.keyboard.press("Escape")
        page.goto(f"/#/pos/{ids['main']['id']}")
        page.get_by_test_id("delete-button").click()
        expect(page.get_by_test_id("delete-dialog")).to_be_visible()
        found += axe_violations(page, "delete dialog")
        page.keyboard.press("Escape")
        page.goto("/#/employees")
        page.get_by_test_id("add-employee").click()
        expect(page.get_by_test_id("employee-dialog")).to_be_visible()
        found += axe_violations(page, "employee dialog")
    assert not found, "\n".join(found)


def test_the_axe_scan_reports_what_it_finds(page: Page):
    """The scan above is not vacuous: a nameless button and an unlabelled input are reported."""
    page.set_content('<html lang="pl"><head><title>t</title></head><body><main><h1>T</h1>'
                     '<button></button><input type="text"></main></body></html>')
    found = "\n".join(axe_violations(page, "bad page"))
    assert "button-name" in found and "label" in found, found
