"""Scraping /metrics, as the metrics tests read it."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.http_calls import call

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(http_url: str) -> tuple[Samples, str]:
    answer = call(http_url, "/metrics", method="GET")
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("text/plain; version=")
    text = answer.body.decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples, text


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)
