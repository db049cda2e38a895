"""The services every REST route may use, built once per app (app.py), typed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from heliograph.alerts.store import AlertStore
from heliograph.config import Settings
from heliograph.costs.catalog import PriceCatalog
from heliograph.datasets.service import Datasets
from heliograph.evaluators.service import Evaluators
from heliograph.experiments.service import Experiments
from heliograph.gateway.cache import ResponseCache
from heliograph.gateway.ratelimit import RateLimiter
from heliograph.gateway.routing import Router
from heliograph.hql.service import HqlService
from heliograph.httpclient.pool import ConnectionPool
from heliograph.meta.hidden_properties import HiddenPropertyStore
from heliograph.meta.keys import KeyStore
from heliograph.meta.members import MemberStore
from heliograph.meta.organizations import OrganizationStore
from heliograph.meta.provider_keys import ProviderKeyStore
from heliograph.meta.users import UserStore
from heliograph.meta.web_sessions import WebSessionStore
from heliograph.pipeline.rows import RowBuilder
from heliograph.pipeline.stream_ingest import StreamIngest
from heliograph.pipeline.worker_reports import WorkerReports
from heliograph.pipeline.writer import LogPipeline
from heliograph.prompts.service import Prompts
from heliograph.store.engines import StoreEngine
from heliograph.webhooks.service import Webhooks


@dataclass
class Services:
    """Everything a request handler may need, built once per app."""

    settings: Settings
    keys: KeyStore
    engine: StoreEngine
    pipeline: LogPipeline
    catalog: PriceCatalog
    upstream: ConnectionPool  # every proxied call goes out through this one pool
    rows: RowBuilder
    router: Router
    provider_keys: ProviderKeyStore
    cache: ResponseCache
    limiter: RateLimiter
    alerts: AlertStore
    users: UserStore
    members: MemberStore
    organizations: OrganizationStore
    web_sessions: WebSessionStore
    webhooks: Webhooks
    hql: HqlService
    prompts: Prompts
    datasets: Datasets
    evaluators: Evaluators
    experiments: Experiments
    hidden_properties: HiddenPropertyStore
    # The gateway workers' reports, when this is the store process of serve --workers N.
    worker_reports: WorkerReports | None = None
    # Ingest from the log stream, when `log_stream` is set.
    stream_ingest: StreamIngest | None = None


def services_of(request: Request) -> Services:
    """The app's services, as a route handler reaches them."""
    services: Services = request.app.state.services
    return services
