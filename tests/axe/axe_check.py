"""Runs axe-core (from axe-selenium-python) in headless Chromium over pages of the dashboard.

Usage: axe_check.py SITE URL@WIDTH...
SITE is the directory tests/axe/axe.sh prints. Prints one JSON line per page (url, width, the
axe-core version, the rules that passed, and every violation with its nodes) and exits 1 when
any page has a violation, 2 when the browser could not be driven.
"""

import json
import shutil
import sys

sys.path.insert(0, sys.argv[1])

from axe_selenium_python import Axe  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402


def driver(width):
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},2000")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def main():
    failed = False
    for page in sys.argv[2:]:
        url, _, width = page.rpartition("@")
        try:
            browser = driver(int(width))
        except Exception as e:  # noqa: BLE001
            print(json.dumps({"url": url, "error": f"could not start Chromium: {e}"}))
            sys.exit(2)
        try:
            browser.get(url)
            axe = Axe(browser)
            axe.inject()
            results = axe.run()
        finally:
            browser.quit()
        violations = [
            {
                "id": v["id"],
                "impact": v.get("impact"),
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in results["violations"]
        ]
        failed = failed or bool(violations)
        print(
            json.dumps(
                {
                    "url": url,
                    "width": int(width),
                    "axe": results.get("testEngine", {}).get("version"),
                    "passes": len(results["passes"]),
                    "violations": violations,
                }
            ),
            flush=True,
        )
    sys.exit(1 if failed else 0)


main()
