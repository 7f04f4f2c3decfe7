from pathlib import Path

import pytest

from digigov.core.settings import Settings


def test_defaults_need_no_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("DIGIGOV_DATABASE_URL", "DIGIGOV_VAR_DIR", "DIGIGOV_SECRET_KEY", "DIGIGOV_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert s.effective_database_url == "sqlite:///var/digigov.db"
    key = s.effective_secret_key()
    assert len(key) > 40 and s.effective_secret_key() == key  # generated once, then kept
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_toml_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIGIGOV_CONFIG", raising=False)
    (tmp_path / "digigov.toml").write_text(
        'database_url = "postgresql+psycopg://u@db/digigov"\nport = 9000\nduplicate_reject = 0.7\n',
        encoding="utf-8")
    s = Settings()
    assert s.database_url.startswith("postgresql+psycopg://") and s.port == 9000 and s.duplicate_reject == 0.7
    monkeypatch.setenv("DIGIGOV_PORT", "9100")
    assert Settings().port == 9100  # the environment wins over the file


def test_config_file_can_be_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text('default_lang = "en"\n', encoding="utf-8")
    monkeypatch.setenv("DIGIGOV_CONFIG", str(cfg))
    assert Settings().default_lang == "en"
