"""Settings are validated from the registry: types, ranges, choices, unknown variables and
TOML keys, each refused in one line naming the setting and where its value came from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from heliograph.config import ConfigError, Settings, scalar_settings, setting_info
from heliograph.meta.provider_keys import load_fernet
from heliograph.settings_sources import load_settings

ROOT = Path(__file__).resolve().parents[1]
# Misspelled variables the docs show being refused; placeholders standing for any name.
DOCUMENTED_MISSPELLINGS = {"HELIOGRAPH_PROT"}
PLACEHOLDERS = {"HELIOGRAPH_", "HELIOGRAPH_X"}

# A whole variable name: MINIO_HELIOGRAPH_PASSWORD (a Compose variable) is not one of ours.
VARIABLE = re.compile(r"(?<![A-Za-z0-9_])HELIOGRAPH_[A-Z0-9_]*")


def _refusal(**kwargs: object) -> str:
    with pytest.raises(ConfigError) as refused:
        load_settings(**kwargs)  # type: ignore[arg-type]
    return str(refused.value)


# The examples (and a few more of each kind), as environment variables.
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "HELIOGRAPH_LOG_BATCH_MS",
            "-5",
            "setting 'log_batch_ms' from environment variable HELIOGRAPH_LOG_BATCH_MS "
            "must be at least 10, not -5",
        ),
        (
            "HELIOGRAPH_UPSTREAM_READ_TIMEOUT_S",
            "-1",
            "setting 'upstream_read_timeout_s' from environment variable "
            "HELIOGRAPH_UPSTREAM_READ_TIMEOUT_S must be at least 0.001, not -1.0",
        ),
        (
            "HELIOGRAPH_RATELIMIT_FAIL",
            "bogus",
            "setting 'ratelimit_fail' from environment variable HELIOGRAPH_RATELIMIT_FAIL "
            "must be one of 'open', 'closed', not 'bogus'",
        ),
        (
            "HELIOGRAPH_DEMO",
            "ture",
            "setting 'demo' from environment variable HELIOGRAPH_DEMO "
            "must be true or false (also 1/0, yes/no, on/off), not 'ture'",
        ),
        (
            "HELIOGRAPH_PORT",
            "70000",
            "setting 'port' from environment variable HELIOGRAPH_PORT "
            "must be at most 65535, not 70000",
        ),
        (
            "HELIOGRAPH_MAX_CONNECTIONS",
            "1.5",
            "setting 'max_connections' from environment variable HELIOGRAPH_MAX_CONNECTIONS "
            "must be a whole number, not '1.5'",
        ),
        (
            "HELIOGRAPH_HEAD_TIMEOUT_S",
            "nan",  # float() takes it, and nan passes every comparison
            "setting 'head_timeout_s' from environment variable HELIOGRAPH_HEAD_TIMEOUT_S "
            "must be a number, not 'nan'",
        ),
        (
            "HELIOGRAPH_MAX_GATEWAY_BODY_BYTES",
            str(2**40),
            "setting 'max_gateway_body_bytes' from environment variable "
            f"HELIOGRAPH_MAX_GATEWAY_BODY_BYTES must be at most 4294967296, not {2**40}",
        ),
        (
            "HELIOGRAPH_PROT",
            "8586",
            "unknown environment variable HELIOGRAPH_PROT: did you mean HELIOGRAPH_PORT?",
        ),
        (
            "HELIOGRAPH_OPENAI_BASEURL",
            "http://127.0.0.1:9",
            "unknown environment variable HELIOGRAPH_OPENAI_BASEURL: "
            "did you mean HELIOGRAPH_OPENAI_BASE_URL?",
        ),
        (
            "HELIOGRAPH_NOTHING_LIKE_IT",
            "",  # set but empty is still a misspelled name
            "unknown environment variable HELIOGRAPH_NOTHING_LIKE_IT "
            "(`heliograph settings --markdown` lists every setting's variable)",
        ),
    ],
)
def test_a_bad_environment_variable_is_refused_naming_it(variable: str, value: str, message: str):
    assert _refusal(environ={variable: value}) == message


def test_a_bad_value_in_the_config_file_names_the_file(tmp_path: Path):
    config = tmp_path / "heliograph.toml"
    config.write_text("log_batch_ms = -5\n")
    assert _refusal(config_file=config, environ={}) == (
        f"setting 'log_batch_ms' from config file {config} must be at least 10, not -5"
    )
    config.write_text('port = "eighty"\n')
    assert _refusal(environ={"HELIOGRAPH_CONFIG": str(config)}) == (
        f"setting 'port' from config file {config} must be a whole number, not 'eighty'"
    )
    config.write_text("host = 8080\n")  # TOML's number where text belongs
    assert _refusal(config_file=config, environ={}) == (
        f"setting 'host' from config file {config} must be text (a quoted string in TOML), not 8080"
    )


def test_unknown_toml_keys_are_refused_with_the_closest_name(tmp_path: Path):
    config = tmp_path / "heliograph.toml"
    config.write_text("prot = 8586\n")
    assert _refusal(config_file=config, environ={}) == (
        f"unknown setting 'prot' in config file {config}: did you mean 'port'?"
    )
    config.write_text('[providers.openai]\nbaseurl = "http://127.0.0.1:9"\n')
    assert _refusal(config_file=config, environ={}) == (
        f"unknown key 'baseurl' in [providers.openai] in config file {config}: "
        "did you mean 'base_url'?"
    )
    config.write_text("[providers.openai]\napi_key = 12\n")
    assert _refusal(config_file=config, environ={}) == (
        f"api_key in [providers.openai] in config file {config} must be text (a quoted string)"
    )


def test_a_missing_config_file_names_the_variable_that_named_it(tmp_path: Path):
    missing = tmp_path / "absent.toml"
    assert _refusal(environ={"HELIOGRAPH_CONFIG": str(missing)}) == (
        f"cannot read config file {missing} (named by HELIOGRAPH_CONFIG): No such file or directory"
    )


def test_a_bad_override_names_its_option():
    assert _refusal(environ={}, overrides={"port": 70000}) == (
        "setting 'port' from --port must be at most 65535, not 70000"
    )
    assert _refusal(environ={}, overrides={"data_dir": ""}) == (
        "setting 'data_dir' from --data-dir must be a path, not ''"
    )


def test_the_error_names_the_source_that_won(tmp_path: Path):
    config = tmp_path / "heliograph.toml"
    config.write_text("log_batch_ms = 50\n")
    message = _refusal(config_file=config, environ={"HELIOGRAPH_LOG_BATCH_MS": "0"})
    assert "from environment variable HELIOGRAPH_LOG_BATCH_MS" in message
    assert load_settings(config, environ={}).log_batch_ms == 50


def test_booleans_take_the_usual_spellings_and_nothing_else():
    for text, expected in [("1", True), ("yes", True), ("On", True), ("0", False), ("off", False)]:
        assert load_settings(environ={"HELIOGRAPH_DEMO": text}).demo is expected
    for text in ("ture", "2", "y", "enabled"):
        with pytest.raises(ConfigError, match="'demo' from environment variable"):
            load_settings(environ={"HELIOGRAPH_DEMO": text})


def test_a_bad_secret_key_says_what_a_key_looks_like_and_never_echoes_it():
    message = _refusal(environ={"HELIOGRAPH_SECRET_KEY": "hunter2-not-a-key"})
    assert message == (
        "setting 'secret_key' from environment variable HELIOGRAPH_SECRET_KEY must be a "
        "Fernet key: 32 bytes in URL-safe base64, 44 characters "
        "(`openssl rand -base64 32 | tr '+/' '-_'` makes one)"
    )


def test_a_valid_secret_key_is_the_one_stored_provider_keys_use(tmp_path: Path):
    key = Fernet.generate_key().decode()
    settings = load_settings(environ={"HELIOGRAPH_SECRET_KEY": key})
    token = Fernet(key.encode()).encrypt(b"sk-provider")
    assert load_fernet(settings.secret_key, tmp_path).decrypt(token) == b"sk-provider"


def test_legitimate_variables_of_any_provider_and_of_other_readers_are_accepted(tmp_path: Path):
    config = tmp_path / "heliograph.toml"
    config.write_text("port = 9000\n")
    settings = load_settings(
        environ={
            "HELIOGRAPH_MYLLM_BASE_URL": "http://127.0.0.1:11434",  # a custom provider
            "HELIOGRAPH_MYLLM_API_KEY": "k",
            "HELIOGRAPH_CONFIG": str(config),
            "HELIOGRAPH_USER_PASSWORD": "read by `heliograph users create`",
            "HELIOGRAPH_TEST_POSTGRES_URL": "read by the test suite",
            "HELIOGRAPH_API_KEY": "sk-helicone-server-key",
        }
    )
    assert settings.port == 9000 and settings.api_key == "sk-helicone-server-key"
    assert settings.provider_base_urls["myllm"] == "http://127.0.0.1:11434"
    assert settings.provider_api_keys == {"myllm": "k"}


def test_every_variable_the_code_tests_bench_and_docs_use_is_accepted():
    """The suite, the benchmarks and the docs set variables servers are started with: none
    of them may be one that a server refuses as unknown."""
    here = Path(__file__).resolve()
    used: set[str] = set()
    for folder in ("src", "tests", "bench", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".md", ".sh", ".toml") and path != here:
                used |= set(VARIABLE.findall(path.read_text()))
    used |= set(VARIABLE.findall((ROOT / "README.md").read_text()))
    used -= DOCUMENTED_MISSPELLINGS | PLACEHOLDERS
    assert len(used) > 50  # the scan found the settings' own variables
    for variable in sorted(used):
        load_settings(environ={variable: ""})  # set but empty: not set, yet never unknown


def test_every_number_has_both_bounds_and_every_default_is_within_them():
    defaults = Settings()
    for name in scalar_settings():
        info, value = setting_info(name), getattr(defaults, name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert info.low is not None and info.high is not None, name
            assert info.low <= value <= info.high, name
        if info.choices:
            assert value in info.choices, name


BUCKET = {"HELIOGRAPH_S3_BUCKET": "prompt-bodies"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"HELIOGRAPH_S3_ENDPOINT_URL": "http://minio:9000"},
            "setting 's3_endpoint_url' from environment variable HELIOGRAPH_S3_ENDPOINT_URL "
            "needs 's3_bucket' set as well",
        ),
        (
            BUCKET | {"HELIOGRAPH_S3_ACCESS_KEY_ID": "heliograph"},
            "setting 's3_access_key_id' from environment variable HELIOGRAPH_S3_ACCESS_KEY_ID "
            "needs 's3_secret_access_key' set as well",
        ),
        (
            {"HELIOGRAPH_S3_SECRET_ACCESS_KEY": "hunter2-s3"},
            "setting 's3_secret_access_key' from environment variable "
            "HELIOGRAPH_S3_SECRET_ACCESS_KEY needs 's3_bucket' and 's3_access_key_id' set as well",
        ),
        (
            {"HELIOGRAPH_S3_BUCKET": "Prompt_Bodies"},
            "setting 's3_bucket' from environment variable HELIOGRAPH_S3_BUCKET must be a bucket "
            "name: 3-63 lower-case letters, digits, `.` and `-`, starting and ending with a "
            "letter or digit, not 'Prompt_Bodies'",
        ),
        (
            BUCKET | {"HELIOGRAPH_S3_ENDPOINT_URL": "minio:9000"},
            "setting 's3_endpoint_url' from environment variable HELIOGRAPH_S3_ENDPOINT_URL "
            "must be an http:// or https:// URL, not 'minio:9000'",
        ),
        (
            BUCKET | {"HELIOGRAPH_S3_ENDPOINT_URL": "http://minio:99999"},
            "setting 's3_endpoint_url' from environment variable HELIOGRAPH_S3_ENDPOINT_URL "
            "must be an http:// or https:// URL, not 'http://minio:99999'",
        ),
        (
            BUCKET | {"HELIOGRAPH_S3_KEY_PREFIX": "/bodies/"},
            "setting 's3_key_prefix' from environment variable HELIOGRAPH_S3_KEY_PREFIX must be "
            "at most 512 characters, no control characters, not starting with `/`, "
            "not '/bodies/'",
        ),
    ],
)
def test_bucket_settings_are_checked_together(environ: dict[str, str], message: str):
    assert _refusal(environ=environ) == message


def test_bucket_settings_that_fit_are_taken(tmp_path: Path):
    config = tmp_path / "heliograph.toml"
    config.write_text('s3_bucket = "prompt-bodies"\ns3_endpoint_url = "https://minio.lan:9000"\n')
    settings = load_settings(
        config,
        environ={
            "HELIOGRAPH_S3_ACCESS_KEY_ID": "heliograph",
            "HELIOGRAPH_S3_SECRET_ACCESS_KEY": "hunter2-s3",
            "HELIOGRAPH_S3_KEY_PREFIX": "team-a/bodies/",
        },
    )
    assert (settings.s3_bucket, settings.s3_endpoint_url) == (
        "prompt-bodies",
        "https://minio.lan:9000",
    )
    assert settings.s3_key_prefix == "team-a/bodies/"
    assert settings.s3_secret_access_key == "hunter2-s3"


def test_no_secret_is_in_the_settings_repr():
    secrets = [name for name in scalar_settings() if setting_info(name).secret]
    assert {"s3_secret_access_key", "smtp_password", "api_key", "secret_key"} <= set(secrets)
    settings = Settings(**{name: f"value-of-{name}" for name in secrets})
    shown = repr(settings)
    assert "s3_bucket=''" in shown  # the others are shown
    assert not [name for name in secrets if f"value-of-{name}" in shown]
