"""The request signature: the contract's test vector, and what does not verify."""

from __future__ import annotations

import pytest

from examhall.lockdown import signature

VECTOR_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
VECTOR_URL = "http://127.0.0.1:8000/api/attempts/x/client-environment?a=1"
VECTOR_SIG = "2de9f11915efd30a7d4c5da778adc557ac3dd0c37f78c4f30765ee70956d85ae"
OTHER_KEY = signature.generate_key()


def _verifies(*, key: str = VECTOR_KEY, method: str = "POST", url: str = VECTOR_URL,
              body: bytes = b'{"a":1}', version: str = "0.1.0") -> bool:
    header = signature.parse_header(f"v={version}; sig={VECTOR_SIG}")
    assert header is not None
    return signature.verify(key=key, header=header, method=method, url=url, body=body)


def test_the_contracts_test_vector():
    url = signature.canonical_url(scheme="http", host="127.0.0.1:8000",
                                  path="/api/attempts/x/client-environment", query="a=1")
    assert url == VECTOR_URL
    assert signature.decode_key(VECTOR_KEY) == bytes(range(32))
    assert signature.sign(key=VECTOR_KEY, version="0.1.0", method="POST", url=url,
                          body=b'{"a":1}') == VECTOR_SIG


def test_the_same_request_verifies_again_without_a_timestamp():
    assert _verifies()
    assert _verifies()


@pytest.mark.parametrize("change", [
    {"key": OTHER_KEY},
    {"url": "http://127.0.0.1:8000/api/attempts/y/client-environment?a=1"},
    {"url": "http://127.0.0.1:8000/api/attempts/x/client-environment?a=2"},
    {"url": "https://127.0.0.1:8000/api/attempts/x/client-environment?a=1"},
    {"body": b'{"a":2}'},
    {"method": "PUT"},
    {"version": "0.1.1"},
], ids=["wrong-key", "other-path", "other-query", "other-scheme", "altered-body",
        "other-method", "other-version"])
def test_anything_else_does_not_verify(change):
    assert not _verifies(**change)


@pytest.mark.parametrize(("scheme", "host", "path", "query", "expected"), [
    ("HTTPS", "Exam.Example.ORG:443", "/exam/a/", "", "https://exam.example.org/exam/a/"),
    ("http", "example.org:80", "/", "", "http://example.org/"),
    ("https", "example.org:8443", "/x", "b=%20", "https://example.org:8443/x?b=%20"),
    ("wss", "example.org", "/ws/attempts/", "", "https://example.org/ws/attempts/"),
    ("ws", "[::1]:8000", "/ws/attempts/", "", "http://[::1]:8000/ws/attempts/"),
    ("http", "h", "/a%2Fb/%E4%B8%AD", "", "http://h/a%2Fb/%E4%B8%AD"),
])
def test_the_canonical_url(scheme, host, path, query, expected):
    assert signature.canonical_url(scheme=scheme, host=host, path=path,
                                   query=query) == expected


@pytest.mark.parametrize("value", [
    None, "", "v=0.1.0", f"sig={VECTOR_SIG}", f"v=latest; sig={VECTOR_SIG}",
    f"v=0.1.0; sig={VECTOR_SIG.upper()}", f"v=0.1.0; sig={VECTOR_SIG[:-1]}",
])
def test_a_malformed_header_is_no_header(value):
    assert signature.parse_header(value) is None


def test_versions_compare_as_numbers():
    assert signature.version_tuple("0.10.0") > signature.version_tuple("0.9.9")
    assert signature.version_tuple("0.1") == signature.version_tuple("0.1.0")
    assert signature.version_tuple("garbage") < signature.version_tuple("0.0.1")


def test_a_new_key_is_32_random_bytes_in_base64url_without_padding():
    key = signature.generate_key()
    assert len(key) == 43 and "=" not in key and "+" not in key and "/" not in key
    assert len(signature.decode_key(key)) == 32 and key != signature.generate_key()
