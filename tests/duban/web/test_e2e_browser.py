"""End to end in a real browser: Debian's headless Chromium driven by Playwright, against the
app served by uvicorn on loopback. A street office on a phone-sized screen acknowledges an item
and submits it with a file; the supervisor returns it; the office submits again; the supervisor
accepts it, and the 考核 ranking changes. Screenshots are kept in var/test-artifacts/e2e/."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from tests.duban.web.conftest import PASSWORD, UNIT_A

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "var" / "test-artifacts" / "e2e"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live(bureau):
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (.ci/run installs the chromium package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(bureau.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _login(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _rank_cell(page, base: str) -> str:
    page.goto(f"{base}/overview")
    row = page.locator("section.card", has_text="考核排名").locator("tr", has_text=UNIT_A)
    return row.locator("td").nth(2).inner_text()


def test_the_closed_loop_in_a_real_browser(bureau, live, tmp_path, request):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kind = request.node.callspec.id
    shot = lambda page, name: page.screenshot(path=ARTIFACTS / f"{kind}-{name}.png", full_page=True)  # noqa: E731
    attachment = tmp_path / "整改报告.pdf"
    attachment.write_bytes(b"%PDF-1.4 rectification report\n")
    item = bureau.ids["item:new"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
            desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            unit, boss = phone.new_page(), desk.new_page()

            _login(boss, live, "supervisor")
            before = _rank_cell(boss, live)
            assert before.startswith("0.0%（0/2）")
            shot(boss, "1-overview-before")

            _login(unit, live, "own_unit")
            assert unit.url.endswith("/mine")
            assert "服务站材料报送" not in unit.content()  # another unit's item
            unit.click("text=新交办事项")
            unit.wait_for_url(f"**/items/{item}")
            assert unit.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            unit.click("button:has-text('签收')")
            assert "已签收" in unit.locator("p.notice").inner_text()
            unit.fill("textarea[name=note]", "已完成整改，附整改报告。")
            unit.set_input_files("input[name=file]", str(attachment))
            unit.click("button:has-text('提交')")
            assert "已提交，等待审核" in unit.locator("p.notice").inner_text()
            shot(unit, "2-unit-submitted")

            boss.goto(f"{live}/items/{item}")
            with boss.expect_download() as download:
                boss.click("text=整改报告.pdf")
            assert Path(download.value.path()).read_bytes() == attachment.read_bytes()
            boss.fill("textarea[name=reason]", "请补充整改前后对比照片。")
            boss.click("button:has-text('退回')")
            assert "已退回" in boss.locator("p.notice").inner_text()
            shot(boss, "3-supervisor-returned")

            unit.goto(f"{live}/mine")
            assert "新交办事项" in unit.locator("#returned").inner_text()
            unit.click("#returned >> text=新交办事项")
            unit.wait_for_url(f"**/items/{item}")
            assert "请补充整改前后对比照片" in unit.content()
            unit.fill("textarea[name=note]", "已补充对比照片。")
            unit.set_input_files("input[name=file]", str(attachment))
            unit.click("button:has-text('提交')")
            assert "已提交，等待审核" in unit.locator("p.notice").inner_text()
            shot(unit, "4-unit-resubmitted")

            boss.goto(f"{live}/items/{item}")
            boss.click("button:has-text('审核通过')")
            assert "已审核通过" in boss.locator("p.notice").inner_text()
            after = _rank_cell(boss, live)
            shot(boss, "5-overview-after")
            assert after.startswith("33.3%（1/3）"), after
            assert re.search(r"已办结", boss.content())
        finally:
            browser.close()
