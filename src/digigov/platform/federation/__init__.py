"""Federation between regions (跨域协同): platform instances that trust each other's signed envelopes.

Each instance has an identity (id, name, base URL, Ed25519 key pair); two instances trust each other by
importing each other's trust anchor, as X-Road instances federate. Every cross-instance message is a signed
envelope, verified on arrival (signature, recipient, freshness, nonce, body hash), dispatched by its kind
to a registered handler and answered with a signed envelope; both sides keep every envelope in a
hash-chained message log that `digigov audit verify` checks too.
"""
