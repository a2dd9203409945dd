"""Auth and TLS of the HTTP sources against a local HTTPS server: bearer tokens and basic
auth from environment variables, a private CA, client certificates (mTLS), and the one-line
errors when verification fails."""

from __future__ import annotations

import base64
import json
import shutil
import ssl
import subprocess

import pytest
from http_replay import ReplayServer
from inprocess_cli import run_aiops

ROUTES = {"/api/services": lambda req: {"data": ["checkout"], "total": 1, "limit": 0, "offset": 0, "errors": None}}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("pki")

    def sh(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
       "-subj", "/CN=aiops test CA")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        (d / f"{name}.ext").write_text("basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid,issuer\n" + ext)
        sh("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
           "-subj", f"/CN={name}")
        sh("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
           "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")
    return d


def tls_server(pki, require_client_cert: bool) -> ReplayServer:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / "server.crt", pki / "server.key")
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(pki / "ca.crt")
    return ReplayServer(ROUTES, tls=ctx)


def health(cfg) -> dict:
    result = run_aiops("-c", cfg, "sources", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {r["name"]: r for r in json.loads(result.stdout)["sources"]}


def test_bearer_token_and_basic_auth_come_from_environment_variables(config, monkeypatch):
    monkeypatch.setenv("TRACES_TOKEN", "t0k3n")
    monkeypatch.setenv("TRACES_PW", "s3cret")
    with ReplayServer(ROUTES) as server:
        cfg = config(f'[sources.jaeger.bearer]\nurl = "{server.url}"\nbearer_token_env = "TRACES_TOKEN"\n'
                     f'[sources.jaeger.basic]\nurl = "{server.url}"\nusername = "ops"\npassword_env = "TRACES_PW"\n'
                     f'headers = {{ "X-Scope-OrgID" = "team-a" }}\n')
        rows = health(cfg)
        assert rows["bearer"]["healthy"] and rows["basic"]["healthy"]
        seen = {r.headers.get("authorization") for r in server.requests}
        assert seen == {"Bearer t0k3n", "Basic " + base64.b64encode(b"ops:s3cret").decode()}
        assert any(r.headers.get("x-scope-orgid") == "team-a" for r in server.requests)
        monkeypatch.delenv("TRACES_TOKEN")
        rows = health(cfg)
        assert not rows["bearer"]["healthy"]
        assert "bearer_token_env = 'TRACES_TOKEN': environment variable TRACES_TOKEN is not set" in rows["bearer"]["message"]


def test_a_private_ca_verifies_the_server(pki, config, monkeypatch):
    # An environment CA bundle (without our CA) must not override the configured tls_ca_file.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki / "client.crt"))
    with tls_server(pki, require_client_cert=False) as server:
        cfg = config(f'[sources.jaeger.trusted]\nurl = "{server.url}"\ntls_ca_file = "{pki / "ca.crt"}"\n'
                     f'[sources.jaeger.untrusted]\nurl = "{server.url}"\nretries = 0\n'
                     f'[sources.jaeger.unverified]\nurl = "{server.url}"\ntls_insecure_skip_verify = true\n')
        rows = health(cfg)
        assert rows["trusted"]["healthy"], rows["trusted"]["message"]
        assert rows["unverified"]["healthy"]
        assert not rows["untrusted"]["healthy"]
        assert rows["untrusted"]["message"].startswith(f"TLS error talking to {server.url}")


def test_client_certificates_for_mutual_tls(pki, config):
    with tls_server(pki, require_client_cert=True) as server:
        cfg = config(f'[sources.jaeger.mtls]\nurl = "{server.url}"\ntls_ca_file = "{pki / "ca.crt"}"\n'
                     f'tls_cert_file = "{pki / "client.crt"}"\ntls_key_file = "{pki / "client.key"}"\n'
                     f'[sources.jaeger.nocert]\nurl = "{server.url}"\ntls_ca_file = "{pki / "ca.crt"}"\nretries = 0\n')
        rows = health(cfg)
        assert rows["mtls"]["healthy"], rows["mtls"]["message"]
        assert not rows["nocert"]["healthy"]
        assert server.requests and all(r.path == "/api/services" for r in server.requests)
