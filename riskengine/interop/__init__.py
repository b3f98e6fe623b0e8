"""Exchange with other systems and tools.

- :mod:`riskengine.interop.b2mml`: ISA-95 B2MML schedules and performance (extra ``interop``;
  writing them: :mod:`~riskengine.interop.b2mml_export`);
- :mod:`riskengine.interop.tables` and :mod:`~riskengine.interop.sheets`: spreadsheet exports
  through a column map (``riskengine import table``; ``.xlsx`` needs the extra ``sheets``);
- :mod:`riskengine.interop.localtime`: naive local times localized, clock changes refused;
- :mod:`riskengine.interop.frames` and :mod:`~riskengine.interop.results`: pandas in and out
  (extra ``pandas``);
- :mod:`riskengine.interop.convert`: premises between JSON and TOML (``riskengine convert``).
"""
