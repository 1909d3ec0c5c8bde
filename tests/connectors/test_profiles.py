"""Profiles: secrets only from environment variables, never in messages; clear connection errors."""

from __future__ import annotations

import time

import pytest
from tests.connectors.conftest import free_port, run_cli

from sqlcurate.connectors.clickhouse import PullError, connect
from sqlcurate.connectors.profiles import ProfileError, load_profile, profile_from_dsn, scrub

SECRET = "s3cr3t-Pa55-do-not-print"


def _write(tmp_path, text, name="prod"):
    (tmp_path / "connectors").mkdir(exist_ok=True)
    path = tmp_path / "connectors" / f"{name}.toml"
    path.write_text(text)
    return path


def test_missing_password_env_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("SQLCURATE_TEST_CH_PASSWORD", raising=False)
    _write(tmp_path, 'host = "127.0.0.1"\nport = 8123\nuser = "analyst"\npassword_env = "SQLCURATE_TEST_CH_PASSWORD"\n')
    profile = load_profile("prod", tmp_path)
    with pytest.raises(ProfileError) as e:
        connect(profile)
    assert e.value.code == "PROFILE_PASSWORD_ENV_UNSET"
    assert "SQLCURATE_TEST_CH_PASSWORD" in str(e.value)


def test_cli_missing_credentials_is_exit_2_with_the_variable_name(tmp_path, monkeypatch):
    _write(tmp_path, 'host = "127.0.0.1"\nport = 8123\npassword_env = "SQLCURATE_TEST_CH_PASSWORD"\n')
    env = {k: v for k, v in __import__("os").environ.items() if k != "SQLCURATE_TEST_CH_PASSWORD"}
    run = run_cli("pull", "clickhouse", "--profile", "prod", "--workspace", str(tmp_path), env=env)
    assert run.returncode == 2
    assert "PROFILE_PASSWORD_ENV_UNSET" in run.stderr and "$SQLCURATE_TEST_CH_PASSWORD" in run.stderr
    assert "Traceback" not in run.stderr


def test_unreachable_host_is_a_clear_error_within_the_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("SQLCURATE_TEST_CH_PASSWORD", SECRET)
    port = free_port()  # bound and released: nothing listens there
    _write(tmp_path, f'host = "127.0.0.1"\nport = {port}\nuser = "analyst"\npassword_env = "SQLCURATE_TEST_CH_PASSWORD"\n'
                     'connect_timeout = 3\n')
    start = time.monotonic()
    with pytest.raises(PullError) as e:
        connect(load_profile("prod", tmp_path))
    assert time.monotonic() - start < 20
    assert e.value.code == "CH_UNREACHABLE"
    assert f"127.0.0.1:{port}" in str(e.value)
    assert SECRET not in str(e.value)


def test_cli_unreachable_host_never_prints_the_password(tmp_path):
    port = free_port()
    _write(tmp_path, f'host = "127.0.0.1"\nport = {port}\npassword_env = "SQLCURATE_TEST_CH_PASSWORD"\nconnect_timeout = 3\n')
    env = dict(__import__("os").environ, SQLCURATE_TEST_CH_PASSWORD=SECRET)
    run = run_cli("pull", "clickhouse", "--profile", "prod", "--workspace", str(tmp_path), env=env, timeout=60)
    assert run.returncode == 2
    assert "CH_UNREACHABLE" in run.stderr
    assert SECRET not in run.stderr + run.stdout
    assert "Traceback" not in run.stderr


def test_inline_password_in_dsn_is_refused(tmp_path):
    _write(tmp_path, f'dsn = "https://analyst:{SECRET}@ch.example.com:8443/default"\n')
    with pytest.raises(ProfileError) as e:
        load_profile("prod", tmp_path)
    assert e.value.code == "PROFILE_INLINE_SECRET" and SECRET not in str(e.value)
    with pytest.raises(ProfileError):
        profile_from_dsn(f"https://analyst:{SECRET}@ch.example.com:8443/default")


def test_unknown_key_and_bad_toml_are_reported_with_the_file(tmp_path):
    path = _write(tmp_path, 'hots = "x"\n')
    with pytest.raises(ProfileError) as e:
        load_profile("prod", tmp_path)
    assert e.value.code == "PROFILE_INVALID" and str(path) in str(e.value) and "hots" in str(e.value)
    _write(tmp_path, 'host = "x\n', name="broken")
    with pytest.raises(ProfileError) as e:
        load_profile("broken", tmp_path)
    assert e.value.code == "PROFILE_INVALID"
    with pytest.raises(ProfileError) as e:
        load_profile("nope", tmp_path)
    assert e.value.code == "PROFILE_NOT_FOUND"


def test_scrub_removes_the_secret_and_url_passwords(tmp_path, monkeypatch):
    monkeypatch.setenv("SQLCURATE_TEST_CH_PASSWORD", SECRET)
    _write(tmp_path, 'host = "h"\npassword_env = "SQLCURATE_TEST_CH_PASSWORD"\n')
    profile = load_profile("prod", tmp_path)
    text = scrub(f"auth failed for {SECRET} at https://bob:{SECRET}@h:8443/ and http://eve:hunter2@x/", profile)
    assert SECRET not in text and "hunter2" not in text


def test_chdb_dsn_relative_to_the_profile_file(tmp_path):
    _write(tmp_path, 'dsn = "chdb://../engine"\n', name="embedded")
    profile = load_profile("embedded", tmp_path)
    assert profile.chdb_path() == (tmp_path / "engine").resolve()
    assert profile.target() == f"chdb://{(tmp_path / 'engine').resolve()}"


def test_repo_example_profiles_load(repo):
    names = sorted(p.stem for p in (repo / "connectors").glob("*.toml"))
    assert "default" in names
    for name in names:
        profile = load_profile(str(repo / "connectors" / f"{name}.toml"))
        assert profile.kind in ("clickhouse", "bigquery")


def test_dsn_overrides_the_profile_location_and_keeps_the_rest(tmp_path, monkeypatch):
    _write(tmp_path, 'host = "ch.internal"\nport = 8443\nsecure = true\nlog_table = "logs.query_log_long"\n'
                     'password_env = "SQLCURATE_TEST_CH_PASSWORD"\n')
    monkeypatch.chdir(tmp_path)
    profile = profile_from_dsn("chdb://engine", load_profile("prod", tmp_path))
    assert profile.chdb_path() == (tmp_path / "engine").resolve()
    assert profile.log_table == "logs.query_log_long" and profile.host == ""
