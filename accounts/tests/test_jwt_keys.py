"""The signing key is checked once per process, and only a key the check accepted is kept."""

import jwt
import pytest
from django.conf import settings
from jwt.algorithms import HMACAlgorithm
from jwt.exceptions import InvalidKeyError, InvalidSignatureError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.jwt_keys import KeyCheckedOnce

pytestmark = pytest.mark.django_db

PEM_PUBLIC_KEY = b"""-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PUBLIC KEY-----"""


def test_the_apps_verify_tokens_with_the_key_checked_once(alice, monkeypatch):
    assert isinstance(jwt.get_algorithm_by_name("HS256"), KeyCheckedOnce)
    checks = []
    real_check = HMACAlgorithm._is_der_key
    monkeypatch.setattr(HMACAlgorithm, "_is_der_key", staticmethod(lambda key: checks.append(key) or real_check(key)))
    AccessToken(str(AccessToken.for_user(alice)))  # the process's first token checks the key
    checks.clear()

    tokens = [str(AccessToken.for_user(alice)) for _ in range(3)]
    assert [AccessToken(token)["user_id"] for token in tokens] == [str(alice.pk)] * 3
    assert checks == []  # signed and verified six times, with the key checked before


def test_a_key_the_check_refuses_is_refused_every_time():
    algorithm = KeyCheckedOnce(HMACAlgorithm.SHA256)
    for _ in range(2):
        with pytest.raises(InvalidKeyError):
            algorithm.prepare_key(PEM_PUBLIC_KEY)
    assert algorithm._accepted == {}


def test_a_token_signed_with_another_key_is_still_refused():
    token = jwt.encode({"user_id": "x"}, "another key entirely, at least thirty-two bytes", algorithm="HS256")
    with pytest.raises(InvalidSignatureError):
        jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
