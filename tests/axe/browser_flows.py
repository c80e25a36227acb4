"""Drives the dashboard as an analyst does, in headless Chromium through Selenium: signs in with
a token on the sign-in page it is sent to, switches the language by its link and keeps the view,
picks a series with the form, signs out, and is sent to sign in again.

Usage: browser_flows.py SITE BASE_URL TOKEN
SITE is the directory tests/axe/axe.sh prints. Prints one JSON line per step ({"step", "ok",
"url", "detail"}) and exits 1 at the first step that fails, 2 when the browser cannot start.
"""

import json
import shutil
import sys
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, sys.argv[1])

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

BASE, TOKEN = sys.argv[2].rstrip("/"), sys.argv[3]


def start():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=390,1600")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def query(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def step(browser, name, ok, detail=""):
    print(json.dumps({"step": name, "ok": bool(ok), "url": browser.current_url, "detail": detail}), flush=True)
    if not ok:
        browser.quit()
        sys.exit(1)


def main():
    try:
        browser = start()
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"step": "start", "ok": False, "url": "", "detail": str(e)}))
        sys.exit(2)
    wait = WebDriverWait(browser, 10)

    browser.get(f"{BASE}/?indicator=DRI-SKL-01&by=age_band")
    step(browser, "sent to sign in", urlparse(browser.current_url).path == "/sign-in")

    browser.find_element(By.ID, "token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type=submit]").click()
    wait.until(lambda b: urlparse(b.current_url).path == "/")
    q = query(browser.current_url)
    step(browser, "signed in, back to the view asked for", q.get("indicator") == "DRI-SKL-01" and q.get("by") == "age_band")
    account = browser.find_element(By.CSS_SELECTOR, "header .account").text
    step(browser, "the banner names who is signed in", "analyst" in account, account)

    browser.find_element(By.CSS_SELECTOR, "nav.langs a[hreflang=bg]").click()
    wait.until(lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bg")
    q = query(browser.current_url)
    indicator = Select(browser.find_element(By.ID, "indicator")).first_selected_option.get_attribute("value")
    by = Select(browser.find_element(By.ID, "by")).first_selected_option.get_attribute("value")
    step(browser, "the language link keeps the view", q.get("lang") == "bg" and indicator == "DRI-SKL-01" and by == "age_band", f"{indicator} {by}")

    series = Select(browser.find_element(By.ID, "series"))
    series.select_by_value("basic")
    browser.find_element(By.CSS_SELECTOR, "form[action='/'] button[type=submit]").click()
    wait.until(lambda b: query(b.current_url).get("series") == "basic")
    q = query(browser.current_url)
    lang = browser.find_element(By.TAG_NAME, "html").get_attribute("lang")
    heading = browser.find_element(By.ID, "indicator-heading").text
    step(browser, "the form keeps the language and names the series", q.get("lang") == "bg" and lang == "bg" and ":" in heading, heading)

    browser.find_element(By.CSS_SELECTOR, "header .account a").click()
    wait.until(lambda b: urlparse(b.current_url).path == "/sign-in")
    browser.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button[type=submit]").click()
    wait.until(lambda b: urlparse(b.current_url).path == "/sign-in" and not b.find_elements(By.ID, "signed-in"))
    browser.get(f"{BASE}/")
    step(browser, "signed out: sent to sign in again", urlparse(browser.current_url).path == "/sign-in")
    browser.quit()


main()
