"""Prefect flows for the scaled-out mode: thin wrappers over the engine's jobs (duban.jobs).

Each flow works in batches inside one task (the engine pages through items and outbox rows
itself); retries are declared on the tasks. Deployments and schedules are in prefect.yaml.
"""
