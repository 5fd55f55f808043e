"""Screenshots of the live board in each phase, for docs/using.md: ``make screenshots``.

Run by pytest with the browser tests' fixtures (a live server, Chromium); not a test (its name
does not start with test_, so the suite never collects it). Writes docs/img/board-<phase>.png
at 1920×1080, and at 1280×720 and 1024×768 with SCREENSHOT_ALL_SIZES=1.
"""

import os
from pathlib import Path

from tests.e2e.test_board import PHASES, SIZES, board_path, build_board_world, set_phase

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_board_screenshots(transactional_db, open_browser):
    dana, session = build_board_world()
    sizes = SIZES if os.environ.get("SCREENSHOT_ALL_SIZES") == "1" else {"1920x1080": None}
    IMAGES.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        desk = open_browser(viewport=SIZES[size])
        desk.login_as(dana)
        for phase in PHASES:
            set_phase(session, phase)
            desk.page.goto(board_path(session))
            suffix = "" if size == "1920x1080" else f"-{size}"
            desk.page.screenshot(path=IMAGES / f"board-{phase}{suffix}.png")
