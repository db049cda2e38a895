"""Alerts: rules over logged requests (error rate, cost, ...), evaluated on a timer.

`definition` validates rules, `store` keeps them and their history in the metadata DB,
`metrics` measures a rule's window in ClickHouse, `evaluator` decides and fires,
`notify` delivers webhooks and e-mails. docs/alerts.md describes the behaviour.
"""
