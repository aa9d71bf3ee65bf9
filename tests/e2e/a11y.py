"""axe-core in the browser tests: inject node_modules/axe-core (package.json, MPL-2.0) and list what it finds."""
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page, where: str) -> list[str]:
    """axe's violations on the page as it is now (WCAG 2.x A/AA and best practices), one line each."""
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run `npm ci` (package.json lists axe-core)"
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, not as a <script> tag: the SPA's Content-Security-Policy
        # (script-src 'self') refuses inline scripts, as it should.
        page.evaluate(AXE_JS.read_text() + "\n;typeof window.axe")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} -> ` +
            v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
    }""")
    return [f"{where}: {line}" for line in result]
