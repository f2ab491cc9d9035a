"""The character encoding of a write request's body (SPEC 1.4, check 3).

A body is UTF-8 unless `Content-Type` names another `charset`; one leading UTF-8 byte-order
mark is ignored (.NET and PowerShell write one). Another charset (`windows-1252`, the native
encoding of Protheus, `iso-8859-1`, `utf-16`…: anything Python's codecs decode) is honoured by
decoding the body and storing it re-encoded as UTF-8, so the worker reads the same characters
whatever the client sent (`José` in cp1252 reads back `José`).

The UTF-8 path stays zero-copy: the bytes are handed to the JSON parser as received (minus a
BOM), and only when that parse fails is the body checked for valid UTF-8, to tell
`Request body is not valid UTF-8` from `Invalid JSON`.
"""

from __future__ import annotations

import codecs

from starlette.requests import Request

from itg.api.responses import ApiError
from itg.api.versioning import as_sent

BOM = codecs.BOM_UTF8
UTF8 = "UTF-8"  # how messages name the default encoding, whatever spelling was sent
CONTENT_TYPE = b"content-type"


def unsupported(name: str) -> ApiError:
    return ApiError(400, f"Unsupported charset: {name}")


def not_valid(charset: str) -> ApiError:
    return ApiError(400, f"Request body is not valid {charset}")


def declared_charset(request: Request) -> str | None:
    """The `charset` parameter of the first Content-Type header, unquoted and trimmed (None
    when absent or blank). Read from the raw header so that a name is echoed as sent."""
    for name, value in request.scope.get("headers", ()):
        if name.lower() == CONTENT_TYPE:
            return charset_parameter(as_sent(bytes(value)))
    return None


def charset_parameter(content_type: str) -> str | None:
    """`charset` of a media type (`application/json; charset="utf-8"`), parameter names in any
    case (RFC 9110 5.6.6); the last one wins if a client repeats it."""
    found = None
    for parameter in content_type.split(";")[1:]:
        name, equals, value = parameter.partition("=")
        if equals and name.strip().lower() == "charset":
            found = value.strip().strip('"').strip()
    return found or None


def json_text(body: bytes, charset: str | None) -> bytes:
    """The body as UTF-8 JSON text to parse and store, or a 400 naming the charset.

    On the UTF-8 path (no charset, or any spelling of UTF-8) the bytes are not checked here:
    the parser does it, see `is_utf8`.
    """
    if charset is not None:
        try:
            codec = codecs.lookup(charset).name
        except (LookupError, ValueError):  # ValueError: a name holding U+0000
            raise unsupported(charset) from None
        if codec != "utf-8":
            return _transcode(body, charset, codec)
    return body[len(BOM) :] if body.startswith(BOM) else body


def _transcode(body: bytes, charset: str, codec: str) -> bytes:
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        raise not_valid(charset) from None
    except (LookupError, UnicodeError):
        # Codecs that are not text encodings (rot13, hex: LookupError) or cannot decode at
        # all (`undefined`): nothing a body could be written in.
        raise unsupported(charset) from None
    # Strict decoders never yield lone surrogates, so this cannot fail. A BOM the codec left
    # in place (utf-16 and utf-8-sig remove theirs) is the text's and makes the JSON invalid.
    return text.encode("utf-8")


def is_utf8(data: bytes) -> bool:
    """Asked only once the JSON parse failed: which of the two 400s to give."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
