import pytest


@pytest.fixture(autouse=True)
def export_dir(app, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
