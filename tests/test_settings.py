"""Settings: defaults, clear errors, and the generated cookie key kept owner-only."""

import stat

import pytest

from services.settings import SettingsError, cookie_key, load_settings


def test_defaults_put_the_database_in_the_data_folder(tmp_path):
    settings = load_settings({}, secrets_file=tmp_path / "none.toml")
    assert settings.database_url == "sqlite:///data/mesa.db"
    assert settings.max_upload_mb == 10
    assert settings.cookie_key is None


def test_environment_wins_over_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('MESA_ORG_NAME = "Desde archivo"\nMESA_MAX_UPLOAD_MB = "5"\n')
    settings = load_settings({"MESA_MAX_UPLOAD_MB": "7"}, secrets_file=secrets)
    assert settings.org_name == "Desde archivo"
    assert settings.max_upload_mb == 7


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"MESA_MAX_UPLOAD_MB": "diez"}, "MESA_MAX_UPLOAD_MB debe ser un número entero"),
        ({"MESA_COOKIE_KEY": "corta"}, "MESA_COOKIE_KEY debe tener al menos 32"),
        ({"MESA_SMTP_SSL": "true", "MESA_SMTP_STARTTLS": "true"}, "no pueden estar activos a la vez"),
        ({"MESA_SMTP_SSL": "quizás"}, "verdadero o falso"),
    ],
)
def test_a_wrong_setting_is_a_clear_spanish_message(tmp_path, env, words):
    with pytest.raises(SettingsError) as error:
        load_settings(env, secrets_file=tmp_path / "none.toml")
    assert words in str(error.value)


def test_cookie_key_is_generated_once_with_owner_only_permissions(tmp_path):
    settings = load_settings({"MESA_DATA_DIR": str(tmp_path / "d")}, secrets_file=tmp_path / "none.toml")
    first = cookie_key(settings)
    assert len(first) == 64
    assert cookie_key(settings) == first
    mode = stat.S_IMODE((tmp_path / "d" / "cookie_key").stat().st_mode)
    assert mode == 0o600


def test_a_configured_cookie_key_is_used_and_nothing_is_written(tmp_path):
    key = "k" * 40
    settings = load_settings(
        {"MESA_DATA_DIR": str(tmp_path / "d"), "MESA_COOKIE_KEY": key}, secrets_file=tmp_path / "none.toml"
    )
    assert cookie_key(settings) == key
    assert not (tmp_path / "d" / "cookie_key").exists()
