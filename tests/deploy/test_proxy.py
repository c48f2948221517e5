"""deploy/nginx/nginx.conf through `nginx -t`, and the limits and upgrades it must carry."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.deploy.tools import DEPLOY, clean_env

CONF = DEPLOY / "nginx" / "nginx.conf"


def self_signed(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hotline.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hotline.test")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir()
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def local_copy(tmp_path: Path, text: str) -> Path:
    """The config as nginx would load it in compose, with the two instance names (which
    resolve only on compose's network) pointed at loopback and the certificate made here."""
    self_signed(tmp_path / "tls")
    text = text.replace("safetynet-a:8080", "127.0.0.1:18080").replace("safetynet-b:8080", "127.0.0.1:18081")
    text = text.replace("/etc/nginx/tls/", f"{tmp_path}/tls/")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    conf = tmp_path / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def nginx_test(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
    )
    if nginx is None:
        pytest.fail("nginx is not installed: scripts/ensure-system.sh installs nginx-light with apt")
    conf = local_copy(tmp_path, text)
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
        timeout=30,
    )


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    done = nginx_test(tmp_path, CONF.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_nginx_refuses_a_broken_one(tmp_path: Path) -> None:
    broken = CONF.read_text(encoding="utf-8").replace("client_max_body_size 1m;", "client_max_body_size;")
    done = nginx_test(tmp_path, broken)
    assert done.returncode != 0
    assert "client_max_body_size" in done.stderr


def location(name: str) -> str:
    pattern = r"location = " + re.escape(name) + r" \{(.*?)\n        \}"
    match = re.search(pattern, CONF.read_text(encoding="utf-8"), re.S)
    assert match is not None, name
    return match.group(1)


def test_chat_socket_is_upgraded_and_kept_open() -> None:
    block = location("/channels/chat/ws")
    assert "proxy_set_header Upgrade $http_upgrade;" in block
    assert "proxy_set_header Connection $connection_upgrade;" in block
    assert "proxy_read_timeout 1h;" in block
    assert "limit_req zone=chat" in block


def test_console_feed_is_not_buffered() -> None:
    block = location("/console/events")
    assert "proxy_buffering off;" in block
    assert "proxy_read_timeout 1h;" in block


def test_bodies_are_capped_and_mail_gets_the_webhook_cap() -> None:
    text = CONF.read_text(encoding="utf-8")
    assert re.search(r"^    client_max_body_size 1m;", text, re.M)
    # Above the webhook's 25 MiB, so SafetyNet itself answers 413 with its own message.
    assert "client_max_body_size 26m;" in location("/channels/email/inbound")
    assert "return 404;" in location("/metrics")


def test_access_log_holds_no_path_or_address() -> None:
    fmt = re.search(r"log_format safetynet (.*?);", CONF.read_text(encoding="utf-8"), re.S)
    assert fmt is not None
    for variable in ("$request ", "$request_uri", "$uri", "$args", "$remote_addr", "$http_"):
        assert variable not in fmt.group(1) + " "
