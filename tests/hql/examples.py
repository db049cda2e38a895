"""The SQL examples of Helicone's HQL page, verbatim."""

# seeds/pages/features__hql.md: the five examples, the REST API's execute and download
# examples, and the cost-in-dollars example, in page order.
DOC_EXAMPLES = [
    "SELECT request_created_at, request_model, response_body, provider_total_cost "
    "FROM request_response_rmt WHERE request_created_at > now() - INTERVAL 7 DAY "
    "ORDER BY provider_total_cost DESC LIMIT 100",
    "SELECT COUNTIf(status BETWEEN 400 AND 599) AS error_count, COUNT() AS total_requests, "
    "ROUND(error_count / total_requests, 4) AS error_rate FROM request_response_rmt "
    "WHERE request_created_at >= toDateTime64(now(), 3) - INTERVAL 24 HOUR",
    "SELECT toDate(request_created_at) AS day, COUNT(DISTINCT user_id) AS dau "
    "FROM request_response_rmt WHERE request_created_at >= toDateTime64(now(), 3) - "
    "INTERVAL 14 DAY GROUP BY day ORDER BY day",
    "SELECT properties['Helicone-Session-Id'] AS session_id, COUNT(*) AS requests, "
    "sum(cost) AS total_cost FROM request_response_rmt WHERE request_created_at >= "
    "toDateTime64(now(), 3) - INTERVAL 7 DAY AND properties['Helicone-Session-Id'] IS NOT NULL "
    "GROUP BY session_id ORDER BY total_cost DESC LIMIT 100",
    "SELECT request_model, sum(cost) AS total_cost, COUNT() AS request_count "
    "FROM request_response_rmt WHERE request_created_at >= toDateTime64(now(), 3) - "
    "INTERVAL 30 DAY GROUP BY request_model ORDER BY total_cost DESC",
    "SELECT request_model, COUNT(*) as count FROM request_response_rmt WHERE "
    "request_created_at > now() - INTERVAL 7 DAY GROUP BY request_model ORDER BY count DESC "
    "LIMIT 10",
    "SELECT * FROM request_response_rmt WHERE request_created_at > now() - INTERVAL 1 DAY "
    "LIMIT 1000",
    "SELECT request_model, sum(cost) / 1000000000 AS total_cost_usd FROM request_response_rmt "
    "WHERE request_created_at > now() - INTERVAL 7 DAY GROUP BY request_model",
]
