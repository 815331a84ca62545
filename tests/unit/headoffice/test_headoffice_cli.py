"""`tillbox headoffice` options: flags, TILLBOX_HEADOFFICE_* variables, one-line errors."""

import pytest

from services.headoffice import _Options, _parser, RUN_OPTIONS, ingest_settings, main


def settings(argv, env):
    args = _parser().parse_args(["run"] + argv)
    return ingest_settings(_Options(args, RUN_OPTIONS, env))


def test_every_run_option_can_come_from_the_environment(tmp_path, monkeypatch):
    ca, cert, key = (tmp_path / n for n in ("ca.pem", "c.pem", "k.pem"))
    for f in (ca, cert, key):
        f.write_text("x")
    monkeypatch.setenv("TILLBOX_HEADOFFICE_PASSWORD", "s3cret")
    env = {"TILLBOX_HEADOFFICE_BROKER": "mq.example:8884",
           "TILLBOX_HEADOFFICE_PREFIX": "chain/v1", "TILLBOX_HEADOFFICE_TLS_CA": str(ca),
           "TILLBOX_HEADOFFICE_TLS_CERT": str(cert), "TILLBOX_HEADOFFICE_TLS_KEY": str(key),
           "TILLBOX_HEADOFFICE_USERNAME": "ingest", "TILLBOX_HEADOFFICE_CLIENT_ID": "ho-2",
           "TILLBOX_HEADOFFICE_SESSION_EXPIRY": "0", "TILLBOX_HEADOFFICE_RESEND_EVERY": "0.5",
           "TILLBOX_HEADOFFICE_GAP_GRACE": "0"}
    s = settings([], env)
    assert (s.host, s.port, s.prefix, s.username, s.password, s.client_id) == (
        "mq.example", 8884, "chain/v1", "ingest", "s3cret", "ho-2")
    assert (s.tls_ca, s.tls_cert, s.tls_key) == (str(ca), str(cert), str(key))
    assert (s.session_expiry, s.resend_every, s.gap_grace) == (0, 0.5, 0.0)
    assert "s3cret" not in repr(s)


def test_flags_win_over_the_environment_and_defaults_fill_the_rest():
    s = settings(["--broker", "10.0.0.5", "--client-id", "a"],
                 {"TILLBOX_HEADOFFICE_BROKER": "ignored:1"})
    assert (s.host, s.port, s.prefix, s.tls, s.client_id) == ("10.0.0.5", 1883, "pos/v1",
                                                              False, "a")
    assert settings(["--broker", "[::1]:1884"], {}).host == "::1"


def test_a_tls_broker_without_a_port_defaults_to_8883(tmp_path):
    (tmp_path / "ca.pem").write_text("x")
    s = settings(["--broker", "mq", "--tls-ca", str(tmp_path / "ca.pem")], {})
    assert (s.tls, s.port) == (True, 8883)


def test_password_is_not_a_flag(capsys):
    assert main(["run", "--password", "x"]) == 2
    assert "unrecognized arguments: --password" in capsys.readouterr().err


@pytest.mark.parametrize("argv,env,says", [
    (["run", "--broker", "mq:99999"], {}, "--broker: port 99999"),
    (["run"], {"TILLBOX_HEADOFFICE_BROKER": "a:b:c"}, "TILLBOX_HEADOFFICE_BROKER: 'a:b:c'"),
    (["run", "--prefix", "pos/+"], {}, "--prefix: 'pos/+' is not a topic prefix"),
    (["run", "--db", "/tmp/x.db"], {}, "--db: database '/tmp/x.db' is neither"),
    (["run", "--tls-ca", "/nonexistent/ca.pem"], {}, "--tls-ca: file /nonexistent/ca.pem"),
    (["run", "--gap-grace", "soon"], {}, "--gap-grace: 'soon' is not a number"),
    (["run"], {"TILLBOX_HEADOFFICE_SESSION_EXPIRY": "-1"},
     "TILLBOX_HEADOFFICE_SESSION_EXPIRY: -1 is below 0"),
    (["report"], {"TILLBOX_HEADOFFICE_JSON": "maybe"}, "TILLBOX_HEADOFFICE_JSON: 'maybe'"),
    (["serve"], {}, "invalid choice: 'serve'"),
    ([], {}, "required: COMMAND"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(argv, env, says, capsys, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("tillbox headoffice: ")
    assert says in captured.err


def test_tls_cert_without_key_is_refused(tmp_path, capsys):
    (tmp_path / "c.pem").write_text("x")
    assert main(["run", "--tls-cert", str(tmp_path / "c.pem")]) == 2
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err


def test_report_on_a_missing_database_exits_1_naming_it_and_creates_nothing(tmp_path, capsys):
    assert main(["report", "--db", f"sqlite://{tmp_path}/ho.db"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path}/ho.db does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_a_database_that_cannot_be_opened_exits_1_naming_it(tmp_path, capsys):
    from appliance.headoffice.store import StoreError, open_store
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match=f"cannot open SQLite database {tmp_path}/file/ho.db"):
        open_store(f"sqlite://{tmp_path}/file/ho.db")


def test_a_bad_database_url_never_shows_its_password(capsys):
    assert main(["report", "--db", "mysql://ho:hunter2@db/ho"]) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err and "mysql://ho:***@db/ho" in err


def test_help_exits_0(capsys):
    assert main(["run", "--help"]) == 0
    assert "TILLBOX_HEADOFFICE_BROKER" in capsys.readouterr().out
