"""A small JSON-over-HTTP client on the standard library (urllib.request) for model servers:
separate connect and read timeouts, a bounded retry with backoff on 429 and 5xx (honouring a short
Retry-After), a bearer key that never appears in a message, and a `ModelError` that says what went
wrong: the server is down, too slow, or answered something that is not JSON.
"""

from __future__ import annotations

import functools
import http.client
import json
import ssl
import time
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

from deskpilot.errors import ModelError

MAX_RETRY_AFTER_S = 30.0  # a server that asks for a longer wait is not waited for
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpFailure(Exception):
    """The server answered with an HTTP error status (after any retries).

    Attributes:
        status: The HTTP status code.
        url: The URL asked.
        text: The start of the answer's body (the key scrubbed out).
        retries: How many retries were made before giving up.
    """

    def __init__(self, status: int, url: str, text: str, retries: int = 0) -> None:
        super().__init__(f"{url} answered HTTP {status}: {text[:200]}")
        self.status, self.url, self.text, self.retries = status, url, text, retries


class _ReadTimeout:
    """Connects within the connect timeout, then waits up to the read timeout for each read."""

    sock: Any

    def __init__(self, *args: Any, read_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.settimeout(self.read_timeout)


class _Connection(_ReadTimeout, http.client.HTTPConnection):
    """Plain HTTP with the two timeouts."""


class _TLSConnection(_ReadTimeout, http.client.HTTPSConnection):
    """HTTPS with the two timeouts (the handshake counts as connecting)."""


class _Handler(urllib.request.HTTPHandler):
    def __init__(self, read_timeout: float) -> None:
        super().__init__()
        self.read_timeout = read_timeout

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_Connection, read_timeout=self.read_timeout)
        return self.do_open(connection, req)


class _TLSHandler(urllib.request.HTTPSHandler):
    def __init__(self, read_timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(context=self.tls)
        self.read_timeout = read_timeout

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_TLSConnection, read_timeout=self.read_timeout)
        return self.do_open(connection, req, context=self.tls)


def retry_after(headers: Message | None) -> float | None:
    """A Retry-After header given in seconds, or None (absent, a date, or unreadable)."""
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class HttpClient:
    """JSON requests with timeouts, retries and a bearer key.

    Attributes:
        retried: How many retries the requests since the last reset took (the caller resets it).
    """

    def __init__(
        self,
        key: str | None,
        *,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 120.0,
        retries: int = 3,
        backoff_s: float = 0.5,
    ) -> None:
        """``retries`` more tries after a 429 or 5xx, waiting ``backoff_s``, then twice that, and
        so on (or what Retry-After asks, up to `MAX_RETRY_AFTER_S`)."""
        self._key = key
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.retried = 0
        self._opener = urllib.request.build_opener(
            _Handler(read_timeout_s), _TLSHandler(read_timeout_s)
        )

    def __repr__(self) -> str:
        return f"HttpClient(key={'set' if self._key else 'none'})"

    def scrub(self, text: str) -> str:
        """``text`` with the key (if any) replaced by ``***``."""
        return text.replace(self._key, "***") if self._key else text

    def request(self, method: str, url: str, data: bytes | None = None) -> Any:
        """Send one request (retrying 429 and 5xx) and return the answer's JSON.

        Raises:
            HttpFailure: The server answered with an error status (after the retries).
            ModelError: The server is unreachable or too slow, or its answer is not JSON.
        """
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with self._opener.open(request, timeout=self.connect_timeout_s) as response:
                    body = response.read()
                    kind = response.headers.get_content_type()
                break
            except urllib.error.HTTPError as error:
                text = self.scrub(_read(error))
                wait = self._wait(error.code, error.headers, attempt)
                if wait is None:
                    raise HttpFailure(error.code, url, text, attempt) from None
                time.sleep(wait)
                self.retried += 1
            except TimeoutError as exc:
                raise self._slow(url, exc) from None
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    raise self._slow(url, exc.reason) from None
                if isinstance(exc.reason, ssl.SSLCertVerificationError):
                    raise ModelError(
                        f"{url}: the server's TLS certificate is not trusted "
                        f"({exc.reason.verify_message}); for a server with a certificate of "
                        "your own CA, point SSL_CERT_FILE at the CA's PEM file"
                    ) from None
                raise ModelError(
                    self.scrub(f"cannot reach {url}: {exc.reason}; is the server running?")
                ) from None
            except (http.client.HTTPException, OSError) as exc:
                raise ModelError(self.scrub(f"{url}: the connection failed: {exc!r}")) from None
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            start = self.scrub(body[:120].decode("utf-8", "replace"))
            raise ModelError(
                f"{url} answered with something that is not JSON ({kind}): {start!r}"
            ) from None

    def _wait(self, status: int, headers: Message | None, attempt: int) -> float | None:
        """How long to wait before retrying, or None for no retry."""
        if status not in RETRIED_STATUSES or attempt >= self.retries:
            return None
        asked = retry_after(headers)
        if asked is not None and asked > MAX_RETRY_AFTER_S:
            return None
        return asked if asked is not None else self.backoff_s * 2**attempt

    def _slow(self, url: str, exc: BaseException) -> ModelError:
        return ModelError(
            f"{url} did not answer in time (connect timeout "
            f"{self.connect_timeout_s:g} s, read timeout {self.read_timeout_s:g} s): "
            f"{exc}"
        )


def _read(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(2000).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
