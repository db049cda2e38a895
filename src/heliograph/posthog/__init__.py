"""Each logged call sent with Helicone-Posthog-Key exported to PostHog as an event."""
