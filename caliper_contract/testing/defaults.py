"""The fake server's defaults, apart so the CLI can show them without importing the server."""

#: The largest request body taken, in bytes.
MAX_BODY_BYTES = 1024 * 1024
#: Access tokens live this long, in seconds (as the published identity provider's do).
TOKEN_TTL = 3600.0
#: A request must arrive within this many seconds, body included.
REQUEST_TIMEOUT = 10.0
