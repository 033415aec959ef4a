"""The WeChat tests use the live-mode fixtures of tests/conftest.py (``live_app``, ``live_api``,
``wx``); the mocks are in tests/wechat_live.py."""

# Kept importable from here for tests written before the move to tests/wechat_live.py.
from tests.wechat_live import (  # noqa: F401
    API,
    SECRET,
    live_application,
    live_config,
    mock_login,
    mock_phone,
    mock_stable_token,
)
