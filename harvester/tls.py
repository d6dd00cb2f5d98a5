"""The one TLS context every HTTP client of a process shares.

httpx builds a context for each client or transport it is not given one, and building
one reads the whole CA bundle (about 20 ms): a refresh makes a client per step. An
SSLContext is made to be shared between connections and threads, and this one is what
httpx would have built itself (`verify=True`: certifi's bundle, hostnames checked).
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
