"""The project's own pooled HTTP/1.1 client: every outbound call (providers, webhooks,
alert notifications) goes through it and the outbound policy it enforces at connect time."""
