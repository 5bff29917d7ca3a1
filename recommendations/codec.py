"""What the shared cache holds for recommendations, as JSON (core/redis_guard.py).

Never a pickle, which would let anyone who can write to Redis run code here: arrays travel as
their raw bytes in base64 with dtype and shape, numbers and booleans only. A cached value that
does not decode raises one of UNREADABLE, and the reader treats it as a miss.
"""

from __future__ import annotations

import base64

import numpy as np
import scipy.sparse as sp

# Booleans, signed and unsigned integers, floats: arrays of anything else (objects) never travel.
_ARRAY_KINDS = "biuf"


def array_out(array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array)
    if array.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(f"arrays of {array.dtype} are not cached")
    return {"dtype": array.dtype.str, "shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}


def array_in(value: dict) -> np.ndarray:
    dtype = np.dtype(str(value["dtype"]))
    if dtype.kind not in _ARRAY_KINDS:
        raise ValueError(f"arrays of {dtype} are not cached")
    shape = [int(n) for n in value["shape"]]
    return np.frombuffer(bytearray(base64.b64decode(value["data"], validate=True)), dtype=dtype).reshape(shape)


def csr_out(matrix: sp.csr_matrix) -> dict:
    matrix = matrix.tocsr()
    return {
        "shape": [int(n) for n in matrix.shape],
        "data": array_out(matrix.data),
        "indices": array_out(matrix.indices),
        "indptr": array_out(matrix.indptr),
    }


def csr_in(value: dict) -> sp.csr_matrix:
    parts = (array_in(value["data"]), array_in(value["indices"]), array_in(value["indptr"]))
    rows, cols = value["shape"]
    return sp.csr_matrix(parts, shape=(int(rows), int(cols)))


def weights_out(parts: dict[str, dict[int, float]]) -> dict[str, list[list]]:
    # JSON object keys are strings; pairs keep the feature pks integers.
    return {source: [[int(k), float(v)] for k, v in weights.items()] for source, weights in parts.items()}


def weights_in(value: dict) -> dict[str, dict[int, float]]:
    return {str(source): {int(k): float(v) for k, v in pairs} for source, pairs in value.items()}


# Whatever a hand-made or truncated cache value can raise while being decoded.
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)
