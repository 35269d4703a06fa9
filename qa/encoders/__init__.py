"""Encoder backends behind the protocol in qa.embedding: one module per kind of hardware."""
