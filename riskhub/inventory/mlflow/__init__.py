"""The MLflow model-registry connector: registered model versions become model assets.

`client` speaks MLflow's REST API (no mlflow package at run time), `sync` turns what it
reads into assets, links and model cards (each sync an ImportJob of kind “sync”, on a Celery worker),
`services` holds the people's actions (registries, "sync now", confirming an archive).
"""
