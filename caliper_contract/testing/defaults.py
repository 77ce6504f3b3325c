"""The fake server's defaults, apart so the CLI can show them without importing the server."""

#: The largest request body taken, in bytes.
MAX_BODY_BYTES = 1024 * 1024
#: Access tokens live this long, in seconds (as the published identity provider's do).
TOKEN_TTL = 3600.0
#: A request must arrive within this many seconds, body included.
REQUEST_TIMEOUT = 10.0
#: A record keeps at most this many bytes of a request body (``RecordedRequest.body``,
#: ``RejectedEnvelope.body``); the full length is in ``body_size``.  Accepted envelopes
#: are kept whole in ``ReceivedEnvelope.body``: they are what the API stores.
KEPT_BODY_BYTES = 64 * 1024
