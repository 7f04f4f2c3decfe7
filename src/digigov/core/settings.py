"""Settings from DIGIGOV_* environment variables or digigov.toml; defaults that work on a laptop."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _toml_file() -> Path:
    return Path(os.environ.get("DIGIGOV_CONFIG", "digigov.toml"))


class Settings(BaseSettings):
    """Every setting of the platform. Environment wins over the TOML file, which wins over defaults."""

    model_config = SettingsConfigDict(env_prefix="DIGIGOV_", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Where the SQLite store and other state live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under var_dir")
    secret_key: str = Field(default="", description="Signs web sessions; empty means one kept in var_dir")
    default_lang: str = "zh"
    host: str = "127.0.0.1"
    port: int = 8000
    session_max_age_seconds: int = 8 * 3600
    cookie_secure: bool = False
    login_max_failures: int = Field(default=5, description="Failures per account or address before a lock")
    login_lock_seconds: int = 300
    # Duplicate-construction check (应用查重): score thresholds on the [0, 1] scale.
    duplicate_function_match: float = Field(default=0.55, description="Similarity at which two functions match")
    duplicate_reject: float = Field(default=0.6, description="Covered share of functions at which to reject")
    duplicate_reduce: float = Field(default=0.25, description="Covered share at which to cut the budget")
    max_upload_bytes: int = Field(default=2 * 1024**3, description="Largest file the console or API accepts")
    # Warehouse (DuckDB) and ingestion
    warehouse_path: str = Field(default="", description="DuckDB warehouse file; empty means var_dir/warehouse.duckdb")
    warehouse_lock_timeout_seconds: float = Field(default=60.0, description="How long to wait for another writer")
    warehouse_memory_limit: str = Field(default="", description="DuckDB memory_limit, e.g. '2GB'; empty = DuckDB's")
    warehouse_keep_versions: int = Field(default=3, description="Versions of each dataset kept for rollback")
    ingest_max_cell_chars: int = Field(default=65_536, description="A longer cell sends its row to quarantine")
    classify_threshold: float = Field(default=0.6, description="Share of values that makes a field hold a type")
    masking_key: str = Field(default="", description="HMAC key of pseudonyms; empty means derived from secret_key")
    # Entity linkage (一人一档 / 一企一档)
    entities_threshold: float = Field(default=0.9, gt=0, lt=1, description="Match probability at which a record "
                                      "without a valid ID / USCC joins a file")
    entities_engine: str = Field(default="duckdb", pattern="^(duckdb|spark)$", description="Where Splink scores: "
                                 "'duckdb' (in process) or 'spark' (the spark extra; see docs/entities.md)")
    entities_spark_master: str = Field(default="local[2]", description="Spark master URL when the engine is spark")
    # Event bus and time
    bus_url: str = Field(default="", description="Event bus: empty or 'memory' = in-process outbox; "
                         "'nats://host:port' = NATS JetStream")
    bus_stream: str = Field(default="DIGIGOV", description="JetStream stream that carries the digigov.> subjects")
    bus_poll_seconds: float = Field(default=1.0, description="How long one pull from JetStream waits for messages")
    bus_retention_days: int = Field(default=30, ge=0, description="Delivered events older than this are pruned "
                                    "from the outbox by the worker (0 keeps them forever)")
    timezone: str = Field(default="Asia/Shanghai", description="Zone of working days and end-of-day deadlines")
    worker_in_process: bool = Field(default=True, description="Run the background worker (bus delivery, deadline "
                                    "monitor, rules, indicators) inside `digigov serve`; false when "
                                    "`digigov worker` runs it")
    worker_interval_seconds: float = Field(default=5.0, gt=0, description="Seconds between two rounds of the worker")
    # Federation between regions (跨域协同); `digigov federation init` stores the identity, these only seed it
    federation_instance_id: str = Field(default="", description="This instance's id, e.g. zj-quzhou; when set, "
                                        "the identity is created on first use without `digigov federation init`")
    federation_name: str = Field(default="", description="Display name of this instance (with the id above)")
    federation_base_url: str = Field(default="", description="URL peers reach this instance at (with the id above)")
    federation_max_skew_seconds: float = Field(default=300.0, gt=0, description="Largest clock difference an "
                                               "envelope's timestamp may show; nonces are kept twice as long")
    federation_timeout_seconds: float = Field(default=10.0, gt=0, description="How long a send waits for the peer")
    federation_max_message_bytes: int = Field(default=8 * 1024**2, gt=0, description="Largest envelope accepted")
    federation_rate_per_minute: int = Field(default=600, ge=1, description="Messages per minute one address may "
                                            "send to /federation/v1/messages before 429")
    federation_rate_burst: int = Field(default=100, ge=1, description="Messages one address may send at once "
                                       "before the per-minute rate applies")
    federation_anchor_valid_days: int = Field(default=365, gt=0, description="Validity of an exported trust anchor")
    # Open data portal (开放): the public catalogue, its CKAN-compatible API and DCAT-AP feed
    open_rate_per_minute: int = Field(default=120, ge=1, description="Requests per minute one address may make to "
                                      "the open-data portal, the CKAN API and the DCAT catalogue")
    open_rate_burst: int = Field(default=60, ge=1, description="Requests one address may make at once before the "
                                 "per-minute rate applies")
    open_license_id: str = Field(default="CC-BY-4.0", description="Licence of open datasets whose catalogue entry "
                                 "names none (CKAN license_id)")
    open_license_title: str = Field(default="知识共享署名 4.0 国际许可协议 (CC BY 4.0)",
                                    description="Title of the default licence")
    open_license_url: str = Field(default="https://creativecommons.org/licenses/by/4.0/",
                                  description="URL of the default licence")
    open_site_title: str = Field(default="浙江省公共数据开放平台", description="Title the CKAN API and DCAT report")
    # Cross-province services (四省边际跨省通办): this instance's city and the limits on what a window uploads
    xps_city: str = Field(default="", description="Division code of the city this instance serves for cross-province "
                          "services (330800, 350700, 361100 or 341000); empty: from the federation instance id")
    xps_max_material_bytes: int = Field(default=2 * 1024**2, gt=0, description="Largest file one cross-province "
                                        "application material may be")
    xps_max_materials: int = Field(default=12, gt=0, description="Most files one cross-province application carries")
    xps_retry_seconds: float = Field(default=300.0, gt=0, description="Wait before a failed cross-province send is "
                                     "due for another attempt")
    # Data sharing (共享)
    sharing_max_grant_days: int = Field(default=366, ge=1, description="Longest a sharing grant may run, in days "
                                        "from its request")
    sharing_max_page_rows: int = Field(default=1000, ge=1, description="Most rows one page of GET "
                                       "/api/v1/shared/{dataset} returns")
    sharing_warehouse_keepalive_seconds: float = Field(default=5.0, ge=0, description="How long the serving path "
                                                       "of shared data keeps the warehouse file open after its last "
                                                       "read (0: open it for every read)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_file())
        return (init_settings, env_settings, toml)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'digigov.db').as_posix()}"

    @property
    def effective_warehouse_path(self) -> Path:
        return Path(self.warehouse_path) if self.warehouse_path else self.var_dir / "warehouse.duckdb"

    def effective_secret_key(self) -> str:
        """The configured key, or one generated once and kept in var_dir (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key, encoding="utf-8")
        path.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
