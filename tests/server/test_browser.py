"""A browser uses the pages as people do: headless Chromium (Debian's `chromium` and
`chromium-driver`) signs in to the server on a loopback port, reads oversight's report and
changes its filters, and a caseworker records a contact. Screenshots are saved in the test's
temporary folder. SQLite only: tests/server/test_pages.py runs the same pages on both backends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as shows
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.builders import START
from tests.serving import PASSWORD, Live

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
OPTIONS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
)  # fmt: skip
PHONE = (390, 844)

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def browser_missing() -> str | None:
    missing = [str(path) for path in (CHROMIUM, DRIVER) if not os.access(path, os.X_OK)]
    if not missing:
        return None
    return f"no {' nor '.join(missing)} (Debian's chromium and chromium-driver)"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    problem = browser_missing()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the browser test to run: {problem}")
        pytest.skip(reason=problem)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for option in (*OPTIONS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(option)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_window_size(1280, 900)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: WebDriver) -> WebDriverWait:
    return WebDriverWait(driver, 30)


def sign_in(driver: WebDriver, live: Live, name: str) -> None:
    driver.get(f"{live.base_url}/")
    wait(driver).until(shows.title_contains("Sign in"))
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(driver).until(shows.presence_of_element_located((By.CSS_SELECTOR, ".sign-out button")))


def main_text(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def fits_the_screen(driver: WebDriver) -> bool:
    """Nothing but a table's own scroller is wider than the window."""
    return bool(
        driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    )


def supervised(live: Live, count: int) -> None:
    """GA clients under supervision since START, with a violation each (too few to show)."""
    for number in range(1, count + 1):
        ref = f"GA-{number}"
        live.ledger.enroll(ref, actor="cw-ga", start=START, agency="GA", officer="o-1",
                           supervision="probation", name=f"Person {number}")  # fmt: skip
        live.ledger.record_violation(ref, actor="cw-ga", on=START, technical=("curfew",))


def test_oversight_reads_the_report_and_regroups_it_by_a_filter(
    live: Live, browser: WebDriver, tmp_path: Path
) -> None:
    supervised(live, 3)
    sign_in(browser, live, "ovs")
    wait(browser).until(shows.title_contains("Violation report"))
    assert "Technical violations and new offences" in main_text(browser)
    assert "withheld" in main_text(browser)  # three clients: hidden, as the CLI hides them
    browser.save_screenshot(str(tmp_path / "report.png"))

    browser.find_element(By.CSS_SELECTOR, "input[name=by][value=agency]").click()
    Select(browser.find_element(By.ID, "period")).select_by_value("year")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser).until(shows.url_contains("period=year"))
    headings = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headings[:2] == ["agency", "period"]
    cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "tbody tr td")]
    assert cells[:2] == ["GA", "2025"]
    chart = browser.find_element(By.CSS_SELECTOR, "figure img")
    assert browser.execute_script("return arguments[0].naturalWidth", chart) > 0
    assert "Download CSV" in main_text(browser)
    browser.save_screenshot(str(tmp_path / "report-by-agency-and-year.png"))

    browser.set_window_size(*PHONE)
    assert fits_the_screen(browser)
    browser.save_screenshot(str(tmp_path / "report-on-a-phone.png"))
    assert (tmp_path / "report-on-a-phone.png").stat().st_size > 0


def test_a_caseworker_records_a_contact_and_sees_it_in_the_timeline(
    live: Live, browser: WebDriver, tmp_path: Path
) -> None:
    supervised(live, 1)
    browser.set_window_size(*PHONE)
    sign_in(browser, live, "cw-ga")
    wait(browser).until(shows.title_contains("Caseload"))
    assert fits_the_screen(browser)
    browser.save_screenshot(str(tmp_path / "caseload.png"))
    browser.find_element(By.LINK_TEXT, "GA-1").click()
    wait(browser).until(shows.title_contains("Client GA-1"))

    browser.find_element(By.XPATH, "//summary[text()='Record a contact']").click()
    browser.find_element(By.ID, "contact-note").send_keys(
        "Talked about housing.\nFollow up Friday."
    )
    browser.save_screenshot(str(tmp_path / "contact-form.png"))
    browser.find_element(By.XPATH, "//button[text()='Record the contact']").click()
    wait(browser).until(shows.title_contains("Timeline of GA-1"))

    text = main_text(browser)
    assert "Recorded event 3." in text
    assert "3. ContactLogged" in text
    assert "Talked about housing.\nFollow up Friday." in text
    assert "recorded=3" in browser.current_url and "housing" not in browser.current_url
    assert fits_the_screen(browser)
    browser.save_screenshot(str(tmp_path / "timeline.png"))
    notes = [e.data.get("note") for e in live.ledger.timeline("GA-1", actor="cw-ga")]
    assert "Talked about housing.\nFollow up Friday." in notes
