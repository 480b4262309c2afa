"""What the review page's browser tests share."""

import pytest
from browsing import launched_browser


@pytest.fixture(scope="module")
def browser():
    """Chromium, headless, one per test module."""
    yield from launched_browser()
