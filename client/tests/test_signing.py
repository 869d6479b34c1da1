from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import pytest
from policy_samples import KEY

from examhall_client.policy import decode_key
from examhall_client.signing import HEADER_NAME, SigningError, canonical_url, sign_request

# The contract's shared vector (helper S computed it on the server side; this file repeats it).
VECTOR_URL = "http://127.0.0.1:8000/api/attempts/x/client-environment?a=1"
VECTOR_BODY = b'{"a":1}'
VECTOR_SIG = "2de9f11915efd30a7d4c5da778adc557ac3dd0c37f78c4f30765ee70956d85ae"
VECTOR_FILE = Path("/tmp/prompts/issue7_vector.txt")


def sig(header: str) -> str:
    found = re.fullmatch(r"v=0\.1\.0; sig=([0-9a-f]{64})", header)
    assert found, header
    return found[1]


def test_shared_vector() -> None:
    header = sign_request(decode_key(KEY), "0.1.0", "POST", VECTOR_URL, VECTOR_BODY)
    assert header == f"v=0.1.0; sig={VECTOR_SIG}"
    assert HEADER_NAME == "X-ExamHall-Client"


@pytest.mark.skipif(not VECTOR_FILE.exists(), reason="the shared vector file is not here")
def test_shared_vector_matches_the_servers_file() -> None:
    assert VECTOR_FILE.read_text().split()[0] == VECTOR_SIG


def test_signature_is_hmac_over_the_contracts_message() -> None:
    key = bytes(range(32))
    message = (
        "EXAMHALL-CLIENT-1\n0.2.0\nGET\nhttps://exam.example.org/exam/x/\n"
        + hashlib.sha256(b"").hexdigest()
    )
    expected = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    assert sign_request(key, "0.2.0", "get", "https://Exam.Example.org:443/exam/x/", b"") == (
        f"v=0.2.0; sig={expected}"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:80/a", "http://127.0.0.1/a"),
        ("https://exam.example.org:443/a", "https://exam.example.org/a"),
        ("http://exam.example.org:443/a", "http://exam.example.org:443/a"),
        ("https://exam.example.org:8443/a", "https://exam.example.org:8443/a"),
        ("ws://127.0.0.1:8000/ws/attempts/1/", "http://127.0.0.1:8000/ws/attempts/1/"),
        ("wss://Exam.Example.ORG/ws/attempts/1/", "https://exam.example.org/ws/attempts/1/"),
        ("HTTPS://EXAM.example.org/Path/Keeps/Case", "https://exam.example.org/Path/Keeps/Case"),
        ("http://h/a%20b/%E4%B8%AD?q=%E4%B8%AD&b=a+b", "http://h/a%20b/%E4%B8%AD?q=%E4%B8%AD&b=a+b"),
        ("http://h/a?b=1#fragment", "http://h/a?b=1"),
        ("http://h/a?", "http://h/a"),
        ("http://h", "http://h/"),
        ("http://user:pw@h:8000/a", "http://h:8000/a"),
        ("http://[::1]:8000/a", "http://[::1]:8000/a"),
        ("http://[::1]:80/a", "http://[::1]/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://h/a", "/relative/path", "http:///nohost", "data:,x"])
def test_urls_that_cannot_be_signed(url: str) -> None:
    with pytest.raises(SigningError):
        canonical_url(url)


def test_a_websocket_handshake_signs_as_its_http_request() -> None:
    key = bytes(range(32))
    ws = sign_request(key, "0.1.0", "GET", "ws://127.0.0.1:8000/ws/attempts/1/", b"")
    assert ws == sign_request(key, "0.1.0", "GET", "http://127.0.0.1:8000/ws/attempts/1/", b"")


def test_anything_else_changes_the_signature() -> None:
    key = bytes(range(32))
    base = sig(sign_request(key, "0.1.0", "POST", VECTOR_URL, VECTOR_BODY))
    assert sig(sign_request(key, "0.1.0", "POST", VECTOR_URL, VECTOR_BODY)) == base  # replay
    others = {
        "wrong key": sign_request(bytes(32), "0.1.0", "POST", VECTOR_URL, VECTOR_BODY),
        "other URL": sign_request(key, "0.1.0", "POST", VECTOR_URL + "&b=2", VECTOR_BODY),
        "other query": sign_request(key, "0.1.0", "POST", VECTOR_URL[:-1] + "2", VECTOR_BODY),
        "other method": sign_request(key, "0.1.0", "PUT", VECTOR_URL, VECTOR_BODY),
        "altered body": sign_request(key, "0.1.0", "POST", VECTOR_URL, b'{"a":2}'),
        "other port": sign_request(
            key, "0.1.0", "POST", VECTOR_URL.replace(":8000", ":8001"), VECTOR_BODY
        ),
    }
    for what, header in others.items():
        assert sig(header) != base, what
    other_version = sign_request(key, "0.1.1", "POST", VECTOR_URL, VECTOR_BODY)
    assert other_version.startswith("v=0.1.1; sig=")
    assert other_version.split("sig=")[1] != base
