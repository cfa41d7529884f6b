"""The domain's operations. Services know nothing of HTTP and own their transactions."""
