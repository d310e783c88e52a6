"""Silence the BetaWarnings that Dagster 1.13 raises about its own internals, and only those.

Every process that loads this code location (the code server, each run's worker, ``dg``/
``dagster`` CLI calls) printed 17 of them, and each run about 10 into ``dagster dev``'s log,
none of which this project can act on:

- the component framework stamps code references on the playbook schedules it builds
  (``CodeReferencesMetadataValue``, ``LocalFileCodeReference``: beta classes it uses itself);
- ``SensorDefinition.with_attributes`` passes the beta ``owners`` parameter, even as ``None``,
  when Dagster binds resources to a sensor's job;
- the instance reads ``python_logs.dagster_handler_config`` (the JSON log handler of
  ``deploy/dagster.yaml``), which Dagster calls beta on every run (docs/decisions.md lists it).

Each filter names the category, the module that warns and the message, so a BetaWarning
anywhere else, about anything else, and every DeprecationWarning still show. Installed when
``clawbot_assets.definitions``, the instance's run coordinator or its log formatter is
imported, which is how each of those processes starts. A step subprocess of a multiprocess run
builds its log handlers before importing any of these, so it still prints the yaml-logging
warning once (docs/decisions.md).
"""

from __future__ import annotations

import warnings

import dagster as dg

#: (module that warns, start of the message).
INTERNAL_BETA_WARNINGS = (
    (r"dagster\.components\.core\.defs_module", r"Class `CodeReferencesMetadataValue` is currently in beta"),
    (r"dagster\.components\.component\.component", r"Class `LocalFileCodeReference` is currently in beta"),
    (r"dagster\._core\.definitions\.sensor_definition", r"Parameter `owners` of initializer `SensorDefinition\.__init__` is currently in beta"),
    (r"dagster\._core\.instance\.methods\.event_methods", r"Handling yaml-defined logging configuration is currently in beta"),
)


def silence_internal_beta_warnings() -> None:
    for module, message in INTERNAL_BETA_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=dg.BetaWarning, module=module)
