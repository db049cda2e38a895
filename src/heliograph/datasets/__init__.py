"""Datasets: curated copies of logged requests, for fine-tuning and evaluation."""
