"""Prefect flows: each module sequences tasks and nothing else.

Importing this package first sets Prefect defaults that these machines need: a fresh ephemeral API
takes 20+ s to start here (the project's design notes keep the measurements), and runs are offline.
Values already in the environment win.
"""
import logging
import os

for _name, _value in {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}.items():
    os.environ.setdefault(_name, _value)
logging.getLogger("httpx").setLevel(logging.WARNING)
