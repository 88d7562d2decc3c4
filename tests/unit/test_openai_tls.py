"""`--model https://...`: the HTTP backend against the stub server over real TLS on 127.0.0.1,
with a certificate made for the test. An untrusted certificate is refused with an error that says
how to trust a private CA; trusted through SSL_CERT_FILE, steps go through and the key travels
encrypted."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.errors import ModelError
from deskpilot.runtime.openai_http import OpenAIModel
from tests.unit.openai_stub import StubServer
from tests.unit.test_openai_http import CLICK, KEY, clean_environment, request

__all__ = ["clean_environment"]  # the autouse fixture: no key or proxy from the environment


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl, a day long)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_stub(certificate: tuple[Path, Path]) -> Iterator[StubServer]:
    server = StubServer(contents=[CLICK]).start(tls=certificate)
    yield server
    server.stop()


def test_an_untrusted_certificate_is_refused_with_what_to_do(
    tls_stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tls_stub.url.startswith("https://127.0.0.1:")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ModelError, match="TLS certificate is not trusted") as error:
        OpenAIModel(tls_stub.url, model_name="stub-vlm").next_action(request())
    assert "self-signed certificate" in str(error.value) and "SSL_CERT_FILE" in str(error.value)
    assert tls_stub.chats == []  # nothing was sent


def test_a_trusted_certificate_carries_the_steps(
    tls_stub: StubServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.setenv("DESKPILOT_API_KEY", KEY)
    model = OpenAIModel(tls_stub.url)  # lists the served models over TLS, too
    assert model.model_name == "stub-vlm"
    assert model.next_action(request()).text == CLICK
    assert tls_stub.chats[0].headers["Authorization"] == f"Bearer {KEY}"
