"""The outbound policy: which URLs the server may call, and which headers it may send there.

Every outbound call (proxy targets, fallbacks, provider base URLs, webhooks, alert
notifications) goes through it, so a caller cannot point the server at its own loopback,
the LAN or a cloud metadata service, nor smuggle a second request into a pooled connection.
"""
