"""HMAC signing keys checked once per process, not once per token.

Before it signs or verifies a token with an HMAC algorithm, PyJWT checks that the key is not
an asymmetric key in disguise (PEM, SSH, DER, a JSON web key): about 0.25 ms of CPU each time,
for every authenticated API request and every socket handshake, spent on SIGNING_KEY, which
does not change while the process runs. `KeyCheckedOnce` keeps each key the check accepted
(a few: the settings' keys) and skips the check for it after that; a key the check refuses is
refused every time, as before. `install` (AccountsConfig.ready) puts it in place of PyJWT's
HS256, HS384 and HS512 through PyJWT's public `register_algorithm`.
"""

from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm
from jwt.utils import force_bytes

MAX_KEYS = 8  # beyond this many distinct keys, each is checked every time again


class KeyCheckedOnce(HMACAlgorithm):
    def __init__(self, hash_alg: Any) -> None:
        super().__init__(hash_alg)
        self._accepted: dict[bytes, bytes] = {}

    def prepare_key(self, key: str | bytes) -> bytes:
        raw = force_bytes(key)
        prepared = self._accepted.get(raw)
        if prepared is None:
            prepared = super().prepare_key(key)  # raises for a key that must not be used
            if len(self._accepted) < MAX_KEYS:
                self._accepted[raw] = prepared
        return prepared


def install() -> None:
    for name, hash_alg in (
        ("HS256", HMACAlgorithm.SHA256),
        ("HS384", HMACAlgorithm.SHA384),
        ("HS512", HMACAlgorithm.SHA512),
    ):
        if isinstance(jwt.get_algorithm_by_name(name), KeyCheckedOnce):
            continue
        jwt.unregister_algorithm(name)
        jwt.register_algorithm(name, KeyCheckedOnce(hash_alg))
