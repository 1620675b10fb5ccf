"""Prometheus metrics (prometheus_client). Requests and their latency are counted per process;
under gunicorn each worker writes them to PROMETHEUS_MULTIPROC_DIR (set by deploy/gunicorn.conf.py
before any worker imports this), and a scrape sums every worker's files, those of dead workers
included, so that counters never go back. The figures of the procedure (open votes, the outbox,
webhooks, the last `tick`) are read from the database at scrape time: every node tells the same.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import os

from flask import Flask, current_app, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from workflow.production import ConfigurationError

# Our own registry: no process or platform collectors (they tell the Python version).
REGISTRY = CollectorRegistry(auto_describe=True)
LABELS = ("endpoint", "method", "status")
REQUESTS = Counter(
    "antragsweg_http_requests",
    "HTTP requests answered, by endpoint, method and status",
    LABELS,
    registry=REGISTRY,
)
LATENCY = Histogram(
    "antragsweg_http_request_duration_seconds",
    "Time from the request to the last byte of its response",
    LABELS,
    registry=REGISTRY,
)


def observe(line: dict) -> None:
    """Called by the request log (workflow/logs.py) when a response is done."""
    labels = (line.get("endpoint") or "unmatched", line["method"], str(line.get("status") or 0))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(line["duration_ms"] / 1000)


class DatabaseFigures:
    """A collector that asks the database at scrape time."""

    def collect(self):
        from workflow.services import monitoring

        up = GaugeMetricFamily("antragsweg_database_up", "1 when the database answered this scrape")
        try:
            figures = monitoring.figures()
        except Exception:  # noqa: BLE001 - a scrape tells that the database is down, never a 500
            current_app.logger.exception("metrics: reading the figures failed")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        votes = GaugeMetricFamily(
            "antragsweg_open_votes", "Partner votes not yet closed", labels=["alliance"]
        )
        for slug, count in sorted(figures.open_votes.items()):
            votes.add_metric([slug], count)
        yield votes
        outbox = GaugeMetricFamily("antragsweg_outbox_mails", "Unsent mails in the outbox", labels=["state"])
        outbox.add_metric(["pending"], figures.outbox_pending)
        outbox.add_metric(["given_up"], figures.outbox_given_up)
        yield outbox
        yield GaugeMetricFamily(
            "antragsweg_outbox_oldest_mail_age_seconds",
            "Age of the oldest mail still waiting to be sent (0: none waits)",
            value=figures.outbox_oldest_age_seconds,
        )
        hooks = GaugeMetricFamily(
            "antragsweg_webhook_deliveries_failing",
            "Webhook deliveries that failed: retrying, or given up after the last attempt",
            labels=["state"],
        )
        hooks.add_metric(["retrying"], figures.webhooks_retrying)
        hooks.add_metric(["failed"], figures.webhooks_failed)
        yield hooks
        success = figures.tick_last_success
        yield GaugeMetricFamily(
            "antragsweg_tick_last_success_timestamp_seconds",
            "Unix time of the last `tick` in which every job succeeded (0: never)",
            value=success.timestamp() if success else 0,
        )
        from workflow.models.types import utcnow

        yield GaugeMetricFamily(
            "antragsweg_tick_seconds_since_last_success",
            "Seconds since the last successful `tick` (+Inf: never)",
            value=(utcnow() - success).total_seconds() if success else math.inf,
        )
        yield GaugeMetricFamily(
            "antragsweg_tick_last_run_failed",
            "1 when a job of the last `tick` failed",
            value=int(figures.tick_last_run_failed),
        )


def _networks(config) -> list:
    value = config.get("METRICS_ALLOWED_ADDRESSES") or ()
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    try:
        return [ipaddress.ip_network(str(part), strict=False) for part in value]
    except ValueError as error:
        raise ConfigurationError(
            [f"METRICS_ALLOWED_ADDRESSES enthält eine ungültige Adresse: {error}"]
        ) from None


def allowed() -> bool:
    """The token (`Authorization: Bearer …`) or the client's address; with neither configured,
    nobody."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), str(token).encode()):
            return True
    networks = current_app.extensions["antragsweg_metrics_networks"]
    if networks and request.remote_addr:
        try:
            address = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            return False
        return any(address in network for network in networks)
    return False


def exposition() -> tuple[bytes, str]:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Local())
    registry.register(DatabaseFigures())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Local:
    """This process's own request metrics (flask run, the test client)."""

    def collect(self):
        yield from REGISTRY.collect()


def init_app(app: Flask, request_log) -> None:
    app.extensions["antragsweg_metrics_networks"] = _networks(app.config)
    request_log.finished.append(observe)
