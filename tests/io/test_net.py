"""Tests for super_resolution_gans.net: bounded, timed http(s) downloads."""

from __future__ import annotations

import io
import socket

import pytest

from super_resolution_gans.io import net

SHORT_TIMEOUT = (1.0, 0.3)


def test_fetch_bytes_returns_body(http_server):
    url = http_server.add("/small.bin", b"hello world")
    assert net.fetch_bytes(url, max_bytes=100) == b"hello world"
    assert http_server.count("/small.bin") == 1


def test_download_to_file_writes_body_and_returns_size(http_server):
    body = bytes(range(256)) * 1000  # several chunks
    url = http_server.add("/data.bin", body)
    buffer = io.BytesIO()
    assert net.download_to_file(url, buffer, max_bytes=len(body)) == len(body)
    assert buffer.getvalue() == body


def test_body_of_exactly_max_bytes_is_accepted(http_server):
    url = http_server.add("/exact", b"x" * 10, content_length=False)
    assert net.fetch_bytes(url, max_bytes=10) == b"x" * 10


def test_http_404_names_url_and_status(http_server):
    url = http_server.add("/missing", b"nope", status=404)
    with pytest.raises(net.DownloadError, match=r"missing.*HTTP 404") as info:
        net.fetch_bytes(url, max_bytes=100)
    assert url in str(info.value)


def test_download_error_is_an_oserror(http_server):
    with pytest.raises(OSError, match="HTTP 500"):
        net.fetch_bytes(http_server.add("/boom", status=500), max_bytes=100)


def test_slow_server_times_out(http_server):
    url = http_server.add("/slow", b"late", delay=1.0)
    with pytest.raises(net.DownloadError, match=r"timed out after 0\.3s") as info:
        net.fetch_bytes(url, max_bytes=100, timeout=SHORT_TIMEOUT)
    assert url in str(info.value)


def test_stall_in_the_middle_of_the_body_times_out(http_server):
    url = http_server.add("/stall", b"a" * 1000, stall=1.0)
    with pytest.raises(net.DownloadError, match=r"/stall: timed out"):
        net.fetch_bytes(url, max_bytes=10_000, timeout=SHORT_TIMEOUT)


def test_announced_length_over_cap_is_refused_before_reading(http_server):
    # The server announces 1 MB but the handler would only send 10 bytes: refusing it proves
    # the header is checked up front.
    url = http_server.add("/announced", b"x" * 10, content_length=1_000_000)
    with pytest.raises(net.DownloadError, match=r"announced 1000000 bytes.*100-byte cap"):
        net.fetch_bytes(url, max_bytes=100)


def test_oversized_body_without_content_length_is_cut_off(http_server):
    url = http_server.add("/unbounded", b"x" * 500_000, content_length=False)
    buffer = io.BytesIO()
    with pytest.raises(net.DownloadError, match=r"larger than the 1000-byte cap") as info:
        net.download_to_file(url, buffer, max_bytes=1000)
    assert url in str(info.value)
    assert len(buffer.getvalue()) <= 1000


@pytest.mark.parametrize(
    "url", ["ftp://example.com/model.h5", "file:///etc/passwd", "example.com/model.h5"]
)
def test_non_http_urls_are_refused_without_network(url, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(net.requests, "get", no_network)
    with pytest.raises(ValueError, match="only http and https"):
        net.fetch_bytes(url, max_bytes=100)


def test_redirect_to_non_http_scheme_is_refused(http_server):
    url = http_server.add("/redir", status=302, headers={"Location": "ftp://example.com/x"})
    with pytest.raises(net.DownloadError, match=r"redir.*only http and https"):
        net.fetch_bytes(url, max_bytes=100)


def test_redirect_between_http_urls_is_followed(http_server):
    target = http_server.add("/target", b"arrived")
    url = http_server.add("/hop", status=302, headers={"Location": target})
    assert net.fetch_bytes(url, max_bytes=100) == b"arrived"


def test_connection_refused_names_url():
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/model.keras"
    with pytest.raises(net.DownloadError, match="connection failed") as info:
        net.fetch_bytes(url, max_bytes=100, timeout=SHORT_TIMEOUT)
    assert url in str(info.value)
    assert "Connection refused" in str(info.value) and "object at 0x" not in str(info.value)
    assert info.value.__cause__ is not None


@pytest.mark.parametrize("max_bytes", [0, -1, 1.5, True])
def test_invalid_max_bytes_is_refused(max_bytes):
    with pytest.raises(ValueError, match="max_bytes"):
        net.fetch_bytes("http://127.0.0.1/x", max_bytes=max_bytes)


@pytest.mark.parametrize("timeout", [0, -1, (1, 2, 3), None, "10"])
def test_invalid_timeout_is_refused(timeout):
    with pytest.raises(ValueError, match="timeout"):
        net.fetch_bytes("http://127.0.0.1/x", max_bytes=10, timeout=timeout)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/a.png", True),
        ("HTTP://example.com/a.png", True),
        ("ftp://example.com/a.png", True),
        ("file:///tmp/a.png", True),
        ("s3+https://bucket/a.png", True),
        ("images/a.png", False),
        ("/abs/a.png", False),
        ("C://Users/a.png", False),
        ("C:\\Users\\a.png", False),
        (b"https://example.com", False),
        (None, False),
    ],
)
def test_is_url(value, expected):
    assert net.is_url(value) is expected


def test_check_url_returns_http_urls_and_refuses_others():
    assert net.check_url("HTTPS://example.com/x") == "HTTPS://example.com/x"
    with pytest.raises(ValueError, match=r"'ftp://example.com/x'.*only http and https"):
        net.check_url("ftp://example.com/x")
    with pytest.raises(ValueError, match="no host"):
        net.check_url("http:///x")


def test_progress_bar_is_shown_only_when_asked(http_server, capsys):
    url = http_server.add("/p.bin", b"y" * 2000)
    buffer = io.BytesIO()
    net.download_to_file(url, buffer, max_bytes=10_000, progress=False)
    assert capsys.readouterr().err == ""
    net.download_to_file(url, buffer, max_bytes=10_000, progress=True, description="weights")
    assert "weights" in capsys.readouterr().err
    assert buffer.getvalue() == b"y" * 4000
